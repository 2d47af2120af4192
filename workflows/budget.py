"""The budget a diagram's script or condition runs under: time, operations and size of values.

A tracer cannot stop a C-level call (`9**9**9`, `'c' * 10**8`, `math.factorial(10**7)` hold
the interpreter lock until they finish), so the operations that can build huge values are
checked before they run, from their operands' sizes; loops, calls and iterations tick a meter
that checks the operation count and the wall-clock deadline (`workflows.scripting` inserts the
ticks and routes the operators here when it compiles a diagram's code).
"""

from __future__ import annotations

import math
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any


@dataclass(frozen=True)
class Budget:
    """What one run of one script or condition may spend."""

    time_ms: int = 200
    operations: int = 1_000_000  # loop iterations, function calls and items iterated
    value_bytes: int = 1_000_000  # serialised size of what a script stores; also any one value
    int_bits: int = 100_000  # ~30,000 digits: far past any budget figure, and cheap to multiply


class BudgetExceeded(Exception):
    """A script or condition went past its budget; the message says which and by how much."""


class Meter:
    """One run's spending: `tick()` once per loop iteration, call or item iterated."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget.time_ms / 1000
        self.count = 0
        self.exceeded: BudgetExceeded | None = None  # kept: a script's `except:` cannot hide it

    def tick(self) -> None:
        self.count += 1
        if self.count > self.budget.operations:
            self._exceed(f"script exceeded its budget of {self.budget.operations} operations")
        if time.monotonic() > self.deadline:
            self._exceed(f"script exceeded its time budget of {self.budget.time_ms} ms")

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.tick()
            yield item

    def check(self) -> None:
        """:raise BudgetExceeded: the run went past its budget, even if the script caught it."""
        if self.exceeded is not None:
            raise self.exceeded

    def _exceed(self, reason: str) -> None:
        self.exceeded = BudgetExceeded(reason)
        raise self.exceeded


_TEXT = (str, bytes)
_CONTAINERS = (list, tuple, set, frozenset, dict)


def too_large(what: str, size: int, limit: int) -> BudgetExceeded:
    return BudgetExceeded(f"value too large: {what} of {size:,} exceeds the limit of {limit:,}")


def measure(value: Any, limit: int) -> int:
    """The approximate serialised size of `value`, walking at most `limit` bytes' worth.

    Walked by hand, not by `json.dumps`: a list holding itself twice, nested a thousand times,
    is small in memory but endless to print, and printing it could not be interrupted.
    """
    size, stack = 0, [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or kind is bytes:
            size += len(item) + 2
        elif kind is list or kind is tuple:
            size += 2 + len(item)
            extend(item)
        elif kind is dict:
            size += 2 + 2 * len(item)
            extend(item.keys())
            extend(item.values())
        elif kind is int:
            size += item.bit_length() // 3 + 1
        elif isinstance(item, _TEXT):  # subclasses and sets: rarer, so checked last
            size += len(item) + 2
        elif isinstance(item, _CONTAINERS):
            size += 2 + len(item)
            extend(item.values() if isinstance(item, dict) else item)
        else:
            size += 8
        if size > limit:
            raise too_large("a value", size, limit)
    return size


_SEQUENCES = (str, bytes, list, tuple)
# a `%` format asking for a width or precision of 5 digits or more, or from an argument (`*`)
_WIDE_FORMAT = re.compile(r"%[^a-zA-Z%]*?(\*|\d{5,})")


class Guards:
    """The guarded operators and builtins of one run, all checking before they compute."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    def _check_int(self, bits: int) -> None:
        if bits > self.budget.int_bits:
            raise too_large("a number of bits", bits, self.budget.int_bits)

    def _check_length(self, length: int) -> None:
        if length > self.budget.value_bytes:
            raise too_large("a length", length, self.budget.value_bytes)

    def pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        if mod is None and _is_int(base) and _is_int(exp) and exp > 0 and abs(base) > 1:
            self._check_int(exp * abs(base).bit_length())
        return pow(base, exp) if mod is None else pow(base, exp, mod)

    def mul(self, a: Any, b: Any) -> Any:
        if _is_int(a) and _is_int(b):
            self._check_int(abs(a).bit_length() + abs(b).bit_length())
        elif isinstance(a, _SEQUENCES) and _is_int(b):
            self._check_length(len(a) * b)
        elif isinstance(b, _SEQUENCES) and _is_int(a):
            self._check_length(len(b) * a)
        return a * b

    def add(self, a: Any, b: Any) -> Any:
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            self._check_length(len(a) + len(b))
        return a + b

    def lshift(self, a: Any, b: Any) -> Any:
        if _is_int(a) and _is_int(b) and a:
            self._check_int(abs(a).bit_length() + b)
        return a << b

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, str | bytes):
            if _WIDE_FORMAT.search(a if isinstance(a, str) else a.decode("latin-1")):
                raise BudgetExceeded("value too large: a % format with a width of 10,000 or more")
            measure(b, self.budget.value_bytes)  # str() of each argument
        return a % b

    def text(self, value: Any) -> Any:
        """An f-string's value, str() or repr(): measured first, as they print all of it."""
        measure(value, self.budget.value_bytes)
        return value

    def factorial(self, n: Any) -> int:
        if _is_int(n) and n > 0:
            self._check_int(int(n * math.log2(n)))  # log2(n!) < n·log2(n)
        return math.factorial(n)

    def comb(self, n: Any, k: Any) -> int:
        if _is_int(n) and n > 0:
            self._check_int(n)  # C(n, k) < 2**n
        return math.comb(n, k)

    def perm(self, n: Any, k: Any = None) -> int:
        if _is_int(n) and n > 0:
            self._check_int(int(n * math.log2(n)))
        return math.perm(n, k)

    def method(self, obj: Any, name: str, bound: Any) -> Any:
        """String and list methods that can grow a value far past its operands."""
        if isinstance(obj, str | bytes):
            if name in ("ljust", "rjust", "center", "zfill"):
                return self._width_checked(bound, lambda width, *_: width)
            if name == "expandtabs":
                return self._width_checked(bound, lambda size=8: len(obj) * size)
            if name == "replace":
                return self._width_checked(bound, lambda old, new, *_: _replaced(obj, old, new))
            if name == "join":
                return lambda items: bound(self._joinable(obj, items))
        if isinstance(obj, list) and name == "extend":
            return lambda items: bound(self._listed(obj, items))
        return bound

    def _width_checked(self, bound: Any, length: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            grown = length(*args)
            if _is_int(grown):
                self._check_length(grown)
            return bound(*args)

        return call

    def _joinable(self, sep: str | bytes, items: Iterable[Any]) -> list[Any]:
        parts = list(items)
        text = sum(len(p) for p in parts if isinstance(p, _TEXT))
        self._check_length(text + len(sep) * len(parts))
        return parts

    def _listed(self, into: list[Any], items: Iterable[Any]) -> list[Any]:
        parts = list(items)
        self._check_length(len(into) + len(parts))
        return parts


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _replaced(s: str | bytes, old: Any, new: Any) -> int | None:
    if not isinstance(old, str | bytes) or not isinstance(new, str | bytes):
        return None  # the method itself refuses them
    count = s.count(old) if old else len(s) + 1  # type: ignore[arg-type]
    return len(s) + count * len(new)


_MATH_NAMES = (
    "ceil floor trunc fabs sqrt isqrt exp log log2 log10 sin cos tan pi e tau inf nan isclose "
    "isfinite isinf isnan gcd lcm fsum copysign fmod hypot"
).split()


def guarded_math(guards: Guards) -> SimpleNamespace:
    """`math` for scripts: its float functions, and factorial/comb/perm checked for size."""
    names = {name: getattr(math, name) for name in _MATH_NAMES}
    return SimpleNamespace(**names, factorial=guards.factorial, comb=guards.comb, perm=guards.perm)


def guarded_inplace(guards: Guards) -> Callable[[str, Any, Any], Any]:
    """RestrictedPython's `_inplacevar_`: `x op= y`, through the same guards as `x op y`."""
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+=": guards.add,
        "-=": operator.isub,
        "*=": guards.mul,
        "/=": operator.itruediv,
        "//=": operator.ifloordiv,
        "%=": guards.mod,
        "**=": guards.pow,
        "<<=": guards.lshift,
        ">>=": operator.irshift,
        "|=": operator.ior,
        "&=": operator.iand,
        "^=": operator.ixor,
    }

    def inplace(op: str, left: Any, right: Any) -> Any:
        return ops[op](left, right)

    return inplace

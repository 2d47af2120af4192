"""Run diagram scripts and conditions through RestrictedPython, never plain eval/exec.

SpiffWorkflow's default environment hands scripts to `exec` with the task data as globals; a
diagram could then walk `().__class__.__base__.__subclasses__()` to reach `os`. Here every
expression and script is compiled with `compile_restricted_*` (which refuses dunder access at
compile time) and runs with guarded builtins and attribute/item/iteration guards.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.Limits import limited_builtins
from RestrictedPython.transformer import RestrictingNodeTransformer
from RestrictedPython.Utilities import utility_builtins
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from workflows.budget import (
    Budget,
    BudgetExceeded,
    Guards,
    Meter,
    guarded_inplace,
    guarded_math,
    measure,
)

_BUILTINS: dict[str, Any] = {
    **safe_builtins,
    **limited_builtins,
    **{k: v for k, v in utility_builtins.items() if k not in ("random", "whrandom")},
    "sum": sum,
    "min": min,
    "max": max,
    "any": any,
    "all": all,
    "enumerate": enumerate,
    "dict": dict,
    "list": list,
    "sorted": sorted,
}
# random is left out: replay re-runs scripts and must get the same result
_GUARDS: dict[str, Any] = {
    "_getitem_": default_guarded_getitem,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
}
# the names each run binds to its own meter and guards (see `_scope`)
_PER_RUN = frozenset(
    {"__builtins__", "_getattr_", "_getiter_", "_inplacevar_", "_tick_", "_text_"}
    | {"_pow_", "_mul_", "_add_", "_lshift_", "_mod_"}
)
_OPERATORS: dict[type[ast.operator], str] = {
    ast.Pow: "_pow_",
    ast.Mult: "_mul_",
    ast.Add: "_add_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}
_WIDE_SPEC = re.compile(r"\d{5,}")  # a width or precision of 10,000 or more


def _call(at: ast.AST, name: str, *args: ast.expr) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, at))


def _tick(at: ast.AST) -> ast.Expr:
    return ast.fix_missing_locations(ast.copy_location(ast.Expr(_call(at, "_tick_")), at))


class _BudgetedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's checks, plus the budget: every loop iteration and call ticks the
    meter, and the operators that can build huge values go through `workflows.budget`.
    (`visit_<Node>` is ast.NodeTransformer's naming.)"""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:  # noqa: N802
        node = self.node_contents_visit(node)
        name = _OPERATORS.get(type(node.op))
        if name is None:
            return node
        return _call(node, name, node.left, node.right)

    def visit_While(self, node: ast.While) -> ast.AST:  # noqa: N802
        node = self.node_contents_visit(node)
        node.body.insert(0, _tick(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:  # noqa: N802
        checked = super().visit_FunctionDef(node)
        assert isinstance(checked, ast.FunctionDef)
        checked.body.insert(0, _tick(checked))
        return checked

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:  # noqa: N802
        checked = super().visit_Lambda(node)
        assert isinstance(checked, ast.Lambda)
        node = checked
        ticked = ast.BoolOp(op=ast.Or(), values=[_call(node, "_tick_"), node.body])  # None or …
        node.body = ast.fix_missing_locations(ast.copy_location(ticked, node.body))
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:  # noqa: N802
        node = self.node_contents_visit(node)
        spec = node.format_spec
        if spec is not None:
            parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
            if any(
                not isinstance(p, ast.Constant) or _WIDE_SPEC.search(str(p.value)) for p in parts
            ):
                self.error(node, "An f-string's format may not compute its width, nor exceed 9999.")
        node.value = _call(node.value, "_text_", node.value)
        return node


class RestrictedCompileError(Exception):
    """RestrictedPython refused the source; `errors` are its messages."""

    def __init__(self, errors: tuple[str, ...]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@lru_cache(maxsize=1024)
def compile_expression(source: str) -> CodeType:
    """Compile a gateway condition or timer expression; cached, since diagrams repeat them."""
    result = compile_restricted_eval(source, "<condition>", policy=_BudgetedTransformer)
    if result.errors:
        raise RestrictedCompileError(tuple(result.errors))
    assert result.code is not None
    return result.code


@lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    """Compile a script task body or pre/post script."""
    result = compile_restricted_exec(source, "<script>", policy=_BudgetedTransformer)
    if result.errors:
        raise RestrictedCompileError(tuple(result.errors))
    assert result.code is not None
    return result.code


def _scope(meter: Meter) -> dict[str, Any]:
    """The guards of one run, bound to its meter."""
    guards = Guards(meter.budget)

    def getattr_(obj: Any, name: str, default: Any = None) -> Any:
        bound = safer_getattr(obj, name, default)  # type: ignore[no-untyped-call]
        return guards.method(obj, name, bound)

    return {
        **_GUARDS,
        "__builtins__": {**_BUILTINS, "pow": guards.pow, "math": guarded_math(guards)},
        "_getattr_": getattr_,
        "_getiter_": meter.iterate,
        "_inplacevar_": guarded_inplace(guards),
        "_tick_": meter.tick,
        "_text_": guards.text,
        "_pow_": guards.pow,
        "_mul_": guards.mul,
        "_add_": guards.add,
        "_lshift_": guards.lshift,
        "_mod_": guards.mod,
    }


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]  # untyped base
    """A SpiffWorkflow script environment where task data is the only state a script sees,
    and each run of a script or condition spends at most `budget`."""

    def __init__(self, budget: Budget | None = None) -> None:
        super().__init__()
        self.budget = budget or Budget()

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        meter = Meter(self.budget)
        scope = {**(external_context or {}), **context, **_scope(meter)}
        result = eval(compile_expression(expression), scope)  # noqa: S307  # restricted bytecode
        meter.check()
        return result

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        external = external_context or {}
        meter = Meter(self.budget)
        scope = {**external, **context, **_scope(meter)}
        exec(compile_script(script), scope)  # noqa: S102  # restricted bytecode
        meter.check()
        written = {
            name: value
            for name, value in scope.items()
            if name not in _GUARDS
            and name not in _PER_RUN
            and name not in external
            and not callable(value)
        }
        self._check_size(written, context)
        for name in list(context):
            if name not in scope:
                del context[name]
        context.update(written)
        return True

    def _check_size(self, written: dict[str, Any], before: dict[str, Any]) -> None:
        """:raise BudgetExceeded: what the script stored or changed is too large to keep."""
        limit, total = self.budget.value_bytes, 0
        for name, value in written.items():
            if value is not before.get(name):
                try:
                    total += measure(value, limit - total)
                except BudgetExceeded:
                    raise BudgetExceeded(
                        f"value too large: {name!r} would exceed {limit:,} bytes of task data"
                    ) from None


def script_engine(budget: Budget | None = None) -> PythonScriptEngine:
    """The one script engine every workflow runs with."""
    return PythonScriptEngine(environment=RestrictedEnvironment(budget))

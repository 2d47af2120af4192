"""Run diagram scripts and conditions through RestrictedPython, never plain eval/exec.

SpiffWorkflow's default environment hands scripts to `exec` with the task data as globals; a
diagram could then walk `().__class__.__base__.__subclasses__()` to reach `os`. Here every
expression and script is compiled with `compile_restricted_*` (which refuses dunder access at
compile time) and runs with guarded builtins and attribute/item/iteration guards.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.Limits import limited_builtins
from RestrictedPython.Utilities import utility_builtins
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "|=": operator.ior,
    "&=": operator.iand,
}


def _inplace(op: str, left: Any, right: Any) -> Any:
    return _INPLACE[op](left, right)


_BUILTINS: dict[str, Any] = {
    **safe_builtins,
    **limited_builtins,
    **utility_builtins,
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
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace,
}


class RestrictedCompileError(Exception):
    """RestrictedPython refused the source; `errors` are its messages."""

    def __init__(self, errors: tuple[str, ...]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@lru_cache(maxsize=1024)
def compile_expression(source: str) -> CodeType:
    """Compile a gateway condition or timer expression; cached, since diagrams repeat them."""
    result = compile_restricted_eval(source, "<condition>")
    if result.errors:
        raise RestrictedCompileError(tuple(result.errors))
    assert result.code is not None
    return result.code


@lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    """Compile a script task body or pre/post script."""
    result = compile_restricted_exec(source, "<script>")
    if result.errors:
        raise RestrictedCompileError(tuple(result.errors))
    assert result.code is not None
    return result.code


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]  # untyped base
    """A SpiffWorkflow script environment where task data is the only state a script sees."""

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        scope = {**_GUARDS, **(external_context or {}), **context}
        return eval(compile_expression(expression), scope)  # noqa: S307  # restricted bytecode

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        external = external_context or {}
        scope = {**_GUARDS, **external, **context}
        exec(compile_script(script), scope)  # noqa: S102  # restricted bytecode
        for name in list(context):
            if name not in scope:
                del context[name]
        context.update(
            (name, value)
            for name, value in scope.items()
            if name not in _GUARDS and name not in external and not callable(value)
        )
        return True


def script_engine() -> PythonScriptEngine:
    """The one script engine every workflow runs with."""
    return PythonScriptEngine(environment=RestrictedEnvironment())

"""Domain errors raised by operations: a code, an HTTP status, and parameters for the message."""

from __future__ import annotations

from typing import Any

from workflows.errors import ScriptFailed


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


class Invalid(DomainError):
    """Bad input; `errors` maps each field to its reasons, as marshmallow does."""

    status = 400

    def __init__(self, errors: dict[str, Any], message: str = "Invalid input.") -> None:
        super().__init__("invalid", message)
        self.errors = errors


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Unprocessable(DomainError):
    """The request was well formed, but the process cannot take it (a diagram's script failed)."""

    status = 422


def script_failed(err: ScriptFailed) -> Unprocessable:
    """A diagram's script or condition that raised or was refused: 422 with the step and the
    reason; the caller's transaction rolls back, so the process stays where it was."""
    step, reason = err.params.get("step"), err.params.get("reason")
    return Unprocessable(
        "script_failed",
        f"A script of the diagram failed{f' at {step}' if step else ''}: {reason}",
        step=step,
        reason=reason,
    )

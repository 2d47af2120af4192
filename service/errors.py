"""Domain errors raised by operations: a code, an HTTP status, and parameters for the message;
and `Message`, one reason a field is wrong, coded where it is raised."""

from __future__ import annotations

from datetime import date
from typing import Any

from workflows.errors import ScriptFailed


class Message(str):
    """A reason a field is wrong: a stable `code`, its English text `msgid` (the gettext msgid,
    with `%(name)s` places) and the `params` that fill them.

    It is the English text as a `str`, so marshmallow's error trees and the API's `errors` keep
    their shape; the API adds the codes (`coded`), the pages translate `msgid` (service.web).
    """

    code: str
    msgid: str
    params: dict[str, Any]

    def __new__(cls, code: str, msgid: str, /, **params: Any) -> Message:
        params = {k: _plain(v) for k, v in params.items()}
        self = super().__new__(cls, msgid % params if params else msgid)
        self.code, self.msgid, self.params = code, msgid, params
        return self

    def __getnewargs_ex__(self) -> tuple[tuple[str, str], dict[str, Any]]:  # copy, pickle
        return (self.code, self.msgid), self.params

    def format(self, *_: Any, **values: Any) -> Message:
        """marshmallow fills its messages with `format(input=…, min=…)`: take the values this
        message names, stay a Message."""
        named = {k: v for k, v in values.items() if f"%({k})" in self.msgid}
        return Message(self.code, self.msgid, **(self.params | named))

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "msgid": self.msgid, "params": self.params}


def _plain(value: Any) -> Any:
    """A parameter as JSON carries it: dates as ISO dates."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def coded(errors: Any, at: str = "") -> list[dict[str, Any]]:
    """The coded reasons of an error tree, each with its field's path (`budget_lines[2].
    unit_amount`); a reason raised as a bare string has the code `invalid`."""
    if isinstance(errors, dict):
        found = []
        for key, value in errors.items():
            name = f"{at}[{key}]" if _index(key) else f"{at}.{key}" if at else str(key)
            found += coded(value, name)
        return found
    if isinstance(errors, list):
        return [item for e in errors for item in coded(e, at)]
    if isinstance(errors, Message):
        return [{"field": at, "code": errors.code, "params": errors.params}]
    return [{"field": at, "code": "invalid", "params": {}}]


def _index(key: Any) -> bool:
    return isinstance(key, int) or (isinstance(key, str) and key.isdigit())


def to_json(errors: Any) -> Any:
    """An error tree as JSON keeps it, its Messages as {code, msgid, params} (`from_json`)."""
    if isinstance(errors, dict):
        return {str(k): to_json(v) for k, v in errors.items()}
    if isinstance(errors, list):
        return [to_json(e) for e in errors]
    return errors.as_json() if isinstance(errors, Message) else errors


def from_json(errors: Any) -> Any:
    """An error tree kept by `to_json`, its Messages restored. Only a list holds reasons, so a
    mapping with a code there is a Message, never a field."""
    if isinstance(errors, dict):
        return {k: from_json(v) for k, v in errors.items()}
    if isinstance(errors, list):
        return [
            Message(e["code"], e["msgid"], **e.get("params", {}))
            if isinstance(e, dict) and "code" in e and "msgid" in e
            else from_json(e)
            for e in errors
        ]
    return errors


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


class StoreUnavailable(DomainError):
    """The attachments' store (service.db.attachment_store) did not answer or refused: 503,
    naming the store; the operation rolled back, so nothing is half attached."""

    status = 503

    def __init__(self, store: str, reason: str = "") -> None:
        super().__init__(
            "store_unavailable",
            f"The file store ({store}) is not answering; try again in a few minutes.",
            store=store,
        )
        self.reason = reason


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

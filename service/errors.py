"""Domain errors raised by operations: a code, an HTTP status, and parameters for the message."""

from __future__ import annotations

from typing import Any


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

"""Text the databases cannot store is bad input, refused before any view runs: PostgreSQL
refuses the NUL character in text, and UTF-8 has no half of a surrogate pair (both were 500s
when the API was fuzzed)."""

from __future__ import annotations

from typing import Any

from flask import request

from service.errors import Invalid, Message

REASON = Message("unstorable_text", "Text may not contain the NUL character or invalid Unicode.")


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _shown(name: str) -> str:
    """A field name fit to answer with (half a surrogate pair written as `\\udxxx`)."""
    return name.encode("utf-8", "backslashreplace").decode()


def _errors(value: Any) -> Any:
    """The reasons, shaped like marshmallow's (field → reasons), or None when all is well."""
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        found = {}
        for key, item in items:
            name = str(key)
            if _unstorable(name):
                found[_shown(name)] = [REASON]
            elif (errors := _errors(item)) is not None:
                found[name] = errors
        return found or None
    return [REASON] if isinstance(value, str) and _unstorable(value) else None


def refuse_unstorable_text() -> None:
    """`before_request`: 400 naming each field whose text cannot be stored."""
    found: dict[str, Any] = {}
    for source in (request.args, request.form):
        for key, values in source.lists():
            name = key or ""  # a multipart part may come without a name
            if _unstorable(name) or any(_unstorable(v) for v in values):
                found[_shown(name)] = [REASON]
    body = _errors(request.get_json(silent=True)) if request.is_json else None
    if body is not None:
        found.update(body if isinstance(body, dict) else {"_schema": body})
    if found:
        raise Invalid(found)

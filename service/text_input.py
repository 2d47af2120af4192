"""Text the databases cannot store is bad input, refused before any view runs: PostgreSQL
refuses the NUL character in text, and UTF-8 has no half of a surrogate pair (both were 500s
when the API was fuzzed). So is JSON nested deeper than any form (a RecursionError, a 500,
when a step form's field held a list 5,000 deep)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask.json.provider import DefaultJSONProvider

from service.errors import Invalid, Message

REASON = Message("unstorable_text", "Text may not contain the NUL character or invalid Unicode.")
MAX_DEPTH = 32  # the deepest form (a report's safety counts) nests 4 levels below `data`
TOO_DEEP = Message("too_deep", "Nested deeper than %(max)s levels.", max=MAX_DEPTH)


class JsonProvider(DefaultJSONProvider):
    """Flask's JSON, refusing a body too deep for the parser (it would raise RecursionError)
    as a bad request of the whole body (`_schema`, as marshmallow names it)."""

    ensure_ascii = False  # Vietnamese as UTF-8, not \u escapes

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise Invalid({"_schema": [TOO_DEEP]}) from None


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


def _errors(value: Any, depth: int = 0) -> Any:
    """The reasons, shaped like marshmallow's (field → reasons), or None when all is well."""
    if isinstance(value, dict | list) and depth >= MAX_DEPTH:
        return [TOO_DEEP]  # checked no deeper: forms and the checks after them recurse too
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        found = {}
        for key, item in items:
            name = str(key)
            if _unstorable(name):
                found[_shown(name)] = [REASON]
            elif (errors := _errors(item, depth + 1)) is not None:
                found[name] = errors
        return found or None
    return [REASON] if isinstance(value, str) and _unstorable(value) else None


FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def refuse_unstorable_text() -> None:
    """`before_request`: 400 naming each field whose text cannot be stored."""
    found: dict[str, Any] = {}
    # a form's fields only when a form was sent: reading `request.form` builds it otherwise
    forms = (request.form,) if request.mimetype in FORM_TYPES else ()
    for source in (request.args, *forms):
        for key, values in source.lists():
            name = key or ""  # a multipart part may come without a name
            if _unstorable(name) or any(_unstorable(v) for v in values):
                found[_shown(name)] = [REASON]
    body = _errors(request.get_json(silent=True)) if request.is_json else None
    if body is not None:
        found.update(body if isinstance(body, dict) else {"_schema": body})
    if found:
        raise Invalid(found)

"""The GET filters of the list pages (dashboard, process list, inbox): read from the query
string with a schema, each bad value kept as typed with its reason, so the page answers with
the field marked (400) instead of a bare error page; the valid ones still apply."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext
from marshmallow import Schema, ValidationError

from service.db.base import MAX_ID
from service.web.labels import translate_errors


def read_filters(schema: Schema) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """(the valid values loaded, the values as sent, each bad one's translated reasons); the
    query string's names are the schema's data keys, blank values count as unset."""
    names = {f.data_key or name for name, f in schema.fields.items()}
    raw = {k: v for k, v in request.args.items() if k in names and v != ""}
    try:
        return dict(schema.load(raw)), raw, {}
    except ValidationError as err:
        bad = err.messages_dict
        valid = {k: v for k, v in raw.items() if k not in bad}
        return dict(schema.load(valid)), raw, translate_errors(bad)


def page_number(size: int, errors: dict[str, Any], name: str = "page") -> int:
    """`?page=` (or `name`), from 1; a bad one adds its reason to `errors` and gives the
    first page."""
    raw = request.args.get(name, "")
    if raw == "":
        return 1
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID // size:
        errors[name] = [gettext("Not a page number.")]
        return 1
    return int(raw)

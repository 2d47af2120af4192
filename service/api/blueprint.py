"""flask-smorest's Blueprint, answering bad input with 400 (its default is 422), unknown query
parameters included."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint as _Blueprint
from marshmallow import RAISE
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400
    # an unknown query parameter is bad input too (a typo would otherwise filter nothing)
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": RAISE,
        "querystring": RAISE,
    }


class Blueprint(_Blueprint):  # type: ignore[misc]  # flask_smorest is untyped
    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema: Any, **kwargs: Any) -> Any:
        """flask-smorest's `arguments`, with a schema class made an instance once: webargs
        would build one per request (a tenth of a short request's time). Loading keeps no
        state on the instance, so requests share it."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)


BEARER: dict[str, list[dict[str, list[str]]]] = {
    "security": [{"bearerAuth": []}]
}  # @blp.doc(**BEARER) on routes that need a token


def multipart(required: tuple[str, ...] = (), **fields: str) -> dict[str, Any]:
    """The OpenAPI schema of a multipart form: `file` (binary) and the other fields by their
    type, e.g. multipart(("file",), task="integer"). Dates are given as "date"."""
    properties: dict[str, Any] = {"file": {"type": "string", "format": "binary"}}
    for name, kind in fields.items():
        properties[name] = (
            {"type": "string", "format": "date"} if kind == "date" else {"type": kind}
        )
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return {"multipart/form-data": {"schema": schema}}

"""flask-smorest's Blueprint, answering bad input with 400 (its default is 422), unknown query
parameters included."""

from __future__ import annotations

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


BEARER: dict[str, list[dict[str, list[str]]]] = {
    "security": [{"bearerAuth": []}]
}  # @blp.doc(**BEARER) on routes that need a token

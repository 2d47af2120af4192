"""flask-smorest's Blueprint, answering bad input with 400 (its default is 422)."""

from __future__ import annotations

from flask_smorest import Blueprint as _Blueprint
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(_Blueprint):  # type: ignore[misc]  # flask_smorest is untyped
    ARGUMENTS_PARSER = _Parser()


BEARER: dict[str, list[dict[str, list[str]]]] = {
    "security": [{"bearerAuth": []}]
}  # @blp.doc(**BEARER) on routes that need a token

"""The JSON API under /api/v1, documented by the OpenAPI spec at /api/v1/openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from flask import Flask, current_app, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from service.api import (
    agencies,
    audit,
    auth,
    conversations,
    dashboard,
    definitions,
    delegations,
    documents,
    health,
    incidents,
    notifications,
    processes,
    registers,
    security,
    tasks,
    users,
)
from service.api.deps import TokenClaims, current_actor
from service.api.schemas import ErrorSchema
from service.api.step_schemas import register_step_schemas
from service.db.sealed import KeyMismatch
from service.db.session import DATABASE_AWAY
from service.errors import DomainError, Invalid, StoreUnavailable, coded


def init_app(app: Flask) -> None:
    app.config.update(
        API_TITLE="Ngày hội toàn dân bảo vệ ANTQ — workflow API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    app.extensions["token_claims"] = TokenClaims()
    api = _Api(app, spec_kwargs={"info": {"description": __doc__}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for module in (
        auth,
        tasks,
        processes,
        documents,
        conversations,
        definitions,
        notifications,
        delegations,
        audit,
        dashboard,
        registers,
        incidents,
        security,
        health,
        agencies,
        users,
    ):
        api.register_blueprint(module.blp)
    api.document_later(register_step_schemas)  # what a completion's `data` holds, by form
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(Exception, _unexpected_error)
    app.before_request(_authenticate)


PUBLIC = frozenset({"auth.Token", "api-docs.openapi_json", "health.Health"})


def _authenticate() -> None:
    """Every API route but these needs a valid token, checked before its input is: a caller
    without one learns 401 and nothing about what the route would accept."""
    endpoint = request.endpoint
    if request.path.startswith("/api/") and endpoint is not None and endpoint not in PUBLIC:
        current_actor()


class _Api(Api):  # type: ignore[misc]  # flask_smorest is untyped
    """flask-smorest's Api, with each blueprint's OpenAPI documentation built the first time the
    spec is read rather than at start-up: building it is most of `create_app`'s time (deep
    copies and schema walks), and most apps — each test's, a worker until someone fetches
    /api/v1/openapi.json — never read it."""

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, app: Flask, **kwargs: Any) -> None:
        self._undocumented: list[tuple[Any, str]] = []
        self._later: list[Callable[[Any], None]] = []  # after the blueprints, in this order
        super().__init__(app, **kwargs)

    @property
    def spec(self) -> Any:
        while self._undocumented:
            blp, name = self._undocumented.pop(0)
            blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=None)
            self._spec.tag({"name": name, "description": blp.description})
        while self._later:
            self._later.pop(0)(self._spec)
        return self._spec

    @spec.setter
    def spec(self, value: Any) -> None:
        self._spec = value

    def document_later(self, add: Callable[[Any], None]) -> None:
        """Have `add` put its part into the spec when the spec is first read, after the
        blueprints' documentation (reading the spec now would build all of it)."""
        self._later.append(add)

    def register_blueprint(self, blp: Any, **options: Any) -> None:
        """Api.register_blueprint (flask-smorest 0.45), its documentation step deferred."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name))

    def handle_http_exception(self, error: HTTPException) -> Any:
        """flask-smorest's answer to bad input (its `errors` by location: json, query…), with
        the coded reasons added as a DomainError's answer has them."""
        payload, status, headers = super().handle_http_exception(error)
        if isinstance(payload.get("errors"), dict):
            payload["codes"] = [c for where in payload["errors"].values() for c in coded(where)]
        return payload, status, headers


MISCONFIGURED = "The service is misconfigured: an administrator must correct its settings."


def _body(status: int, **extra: Any) -> dict[str, Any]:
    return {"code": status, "status": HTTPStatus(status).phrase, **extra}


def _domain_error(err: DomainError) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = _body(err.status, error=err.code, message=err.message, **err.params)
    if isinstance(err, Invalid):
        body["errors"] = {"json": err.errors}
        body["codes"] = coded(err.errors)
    # the file store away: a client may retry the same upload once it is back
    headers = {"Retry-After": "60"} if isinstance(err, StoreUnavailable) else {}
    return body, err.status, headers


def _unexpected_error(err: Exception) -> Any:
    """Never a traceback to the client: log it and answer 500 in the API's error shape."""
    if isinstance(err, HTTPException):
        return err
    if isinstance(err, DATABASE_AWAY):
        # the database is restarting or unreachable: not our bug, and retryable. A commit cut
        # off may or may not have landed; a retry with its Idempotency-Key finds out.
        current_app.logger.warning("database unavailable: %s", err.orig)
        body = _body(503, error="database_unavailable", message="The database is unavailable.")
        return body, 503, {"Retry-After": "1"}
    if isinstance(err, KeyMismatch):  # the operator's to fix: say how in the log, not a 500
        current_app.logger.error("service misconfigured: %s", err)
        body = _body(503, error="service_misconfigured", message=MISCONFIGURED)
        return body, 503
    current_app.logger.exception("unexpected error")
    return _body(500, message="An unexpected error occurred; it has been logged."), 500

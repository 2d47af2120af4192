"""The security log, and ending a user's sessions (administrators)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import fields

from service import validation as validate
from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, new_uow
from service.db.base import utcnow
from service.operations import security_log, sessions
from service.operations.security_log import Kind
from service.validation import Schema

blp = Blueprint("security", __name__, url_prefix="/api/v1", description="Security log, sessions")


class SecurityLogArgsSchema(Schema):
    kind = fields.Enum(Kind, load_default=None, by_value=True)
    user = fields.String(load_default=None, validate=validate.Length(1, 80))
    date = validate.Date(load_default=None, metadata={"description": "a day, Vietnam time"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class SecurityEntrySchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    kind = fields.String()
    username = fields.String(allow_none=True, metadata={"description": "the account, or as typed"})
    address = fields.String(allow_none=True)
    method = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)


class SecurityPageSchema(Schema):
    entries = fields.List(fields.Nested(SecurityEntrySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class EndedSchema(Schema):
    ended = fields.Integer(metadata={"description": "page sessions ended (tokens end too)"})


@blp.route("/security-log")
class SecurityLog(MethodView):
    @blp.doc(**BEARER)
    @blp.arguments(SecurityLogArgsSchema, location="query")
    @blp.response(200, SecurityPageSchema)
    def get(self, args: dict[str, Any]) -> security_log.Page:
        """Logins, failed logins, logouts, second-factor failures, sessions ended, rate-limit
        hits and refused requests, newest first (administrators)."""
        return security_log.read(
            new_uow(write=False),
            current_actor(),
            kind=args["kind"],
            username=args["user"],
            day=args["date"],
            page=args["page"],
            per_page=args["per_page"],
        )


@blp.route("/users/<username>/sessions")
class UserSessions(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, EndedSchema)
    def delete(self, username: str) -> dict[str, int]:
        """End every page session and API token of a user (administrators)."""
        ended = sessions.end_user_sessions(new_uow(), current_actor(), username, utcnow())
        return {"ended": ended}

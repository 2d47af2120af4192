"""Tokens and the caller's identity."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from service.api.blueprint import BEARER, Blueprint
from service.api.deps import current_actor, issue_token, new_uow
from service.api.schemas import MeSchema, TokenRequestSchema, TokenSchema
from service.errors import Forbidden, Unauthorized
from service.operations import second_factor
from service.operations.actors import Actor, authenticate

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign-in")


@blp.route("/auth/token")
class Token(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Exchange a username and password, and for administrators and signers the 6-digit
        code of their authenticator (`otp`, or a recovery code), for a bearer token."""
        actor = authenticate(new_uow(write=False), args["username"], args["password"])
        if actor.otp_enrolled:
            if not args["otp"]:
                raise Unauthorized("otp_required", "Send the 6-digit code as “otp”.")
            actor = second_factor.verify(new_uow(), actor.user_id, args["otp"])
        elif actor.needs_second_factor:
            raise Forbidden(
                "otp_enrolment_required",
                "Set up the second factor first: log in on the web pages.",
            )
        return {
            "token": issue_token(actor),
            "token_type": "Bearer",
            "expires_in": current_app.config["TOKEN_TTL_SECONDS"],
        }


@blp.route("/me")
class Me(MethodView):
    @blp.doc(**BEARER)
    @blp.response(200, MeSchema)
    def get(self) -> Actor:
        """The caller, their agency and roles."""
        return current_actor()

"""The only place the API touches Flask globals: the calling actor, and the units of work
(service.request_units, shared with the pages)."""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from service.errors import Unauthorized
from service.operations.actors import Actor, ActorCache
from service.request_units import new_uow as new_uow  # one home, handed on
from service.request_units import new_view as new_view

_SALT = "api-token"


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue_token(actor: Actor) -> str:
    return str(_signer().dumps({"u": actor.user_id, "e": actor.session_epoch}))


class TokenClaims:
    """Tokens whose signature this worker has checked, with when they were signed: a client
    sends the same token with every request, and checking it (a key derived, an HMAC) cost
    more than a request's own statement. The age is checked at every use, as `loads` would."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._checked: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}

    def claims(self, token: str, max_age: int) -> dict[str, Any]:
        """:raise SignatureExpired: too old. :raise BadSignature: not ours."""
        key = (current_app.config["SECRET_KEY"], token)  # a new key: every token checked anew
        kept = self._checked.get(key)
        if kept is None:
            claims, signed = _signer().loads(token, return_timestamp=True)
            if len(self._checked) >= self.size:  # many tokens at once: start afresh
                self._checked.clear()
            kept = self._checked[key] = (claims, int(signed.timestamp()))
        age = int(time.time()) - kept[1]  # as itsdangerous counts it
        if age > max_age or age < 0:
            raise SignatureExpired(f"Signature age {age} > {max_age} seconds")
        return kept[0]


def current_actor() -> Actor:
    """The actor named by the bearer token, loaded once per request.

    :raise Unauthorized: missing, bad or expired.
    """
    if "actor" not in g:
        g.actor = _actor_of_token()
    actor: Actor = g.actor
    return actor


def _actor_of_token() -> Actor:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("token_missing", "Send “Authorization: Bearer <token>”.")
    checked: TokenClaims = current_app.extensions["token_claims"]
    try:
        claims = checked.claims(token, current_app.config["TOKEN_TTL_SECONDS"])
    except SignatureExpired as err:
        raise Unauthorized("token_expired", "The token has expired; ask for a new one.") from err
    except BadSignature as err:
        raise Unauthorized("token_invalid", "The token is not valid.") from err
    actors: ActorCache = current_app.extensions["actors"]
    return actors.load(new_view(), int(claims["u"]), int(claims.get("e", -1)))

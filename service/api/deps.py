"""The only place the API touches Flask globals: the unit of work and the calling actor."""

from __future__ import annotations

from flask import current_app, g, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from service.db.uow import UnitOfWork
from service.errors import Unauthorized
from service.operations.actors import Actor, ActorCache

_SALT = "api-token"


def new_uow(*, write: bool = True) -> UnitOfWork:
    return UnitOfWork(
        current_app.extensions["session_factory"],
        write=write,
        clock=current_app.extensions["clock"],
    )


def issue_token(actor: Actor) -> str:
    signer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)
    return str(signer.dumps({"u": actor.user_id, "e": actor.session_epoch}))


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
    signer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)
    try:
        claims = signer.loads(token, max_age=current_app.config["TOKEN_TTL_SECONDS"])
    except SignatureExpired as err:
        raise Unauthorized("token_expired", "The token has expired; ask for a new one.") from err
    except BadSignature as err:
        raise Unauthorized("token_invalid", "The token is not valid.") from err
    actors: ActorCache = current_app.extensions["actors"]
    return actors.load(new_uow(write=False), int(claims["u"]), int(claims.get("e", -1)))

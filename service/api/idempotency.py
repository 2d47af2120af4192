"""The Idempotency-Key request header on the POSTs that change state.

Semantics of the IETF draft "The Idempotency-Key HTTP Header Field"
(https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/): the key is a
Structured Field string chosen by the client for one logical request; a retry with the same key
and the same request gets the first answer, and no second change; the same key with a different
request is 422; an attempt racing the first one waits for it (the database orders them) and
then gets its answer. Keys are scoped per user, so two users' keys never meet.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from service.api.deps import new_view
from service.errors import Conflict, Invalid, Message
from service.operations.actors import Actor
from service.operations.idempotency import Idempotency, recall

HEADER = "Idempotency-Key"
_KEY = re.compile(r'"?([\x20-\x21\x23-\x7e]{1,255})"?')  # sf-string characters, quotes optional

R = TypeVar("R")

DOC: dict[str, Any] = {
    "parameters": [
        {
            "in": "header",
            "name": HEADER,
            "required": False,
            "schema": {"type": "string", "maxLength": 255},
            "description": "Makes a retry safe: the same key and body replay the first answer "
            "(a different body with the same key: 422).",
        }
    ]
}  # @blp.doc(**DOC) on the routes that honour the header


def once(
    actor: Actor,
    args: dict[str, Any],
    run: Callable[[Idempotency | None], R],
    stored: Callable[[dict[str, Any]], R],
) -> R:
    """Run the operation once per key: `run` stores its result with its change, and a retry
    gets `stored(result)` instead of running again."""
    key = _key(actor, args)
    if key is None:
        return run(None)
    result = recall(new_view(), key)
    if result is None:
        try:
            return run(key)
        except Conflict:  # perhaps an earlier attempt with this key just committed
            result = recall(new_view(), key)
            if result is None:
                raise
    return stored(result)


def _key(actor: Actor, args: dict[str, Any]) -> Idempotency | None:
    value = request.headers.get(HEADER)
    if value is None:
        return None
    match = _KEY.fullmatch(value)
    if match is None:
        raise Invalid(
            {HEADER: [Message("invalid", "A string of 1 to 255 printable ASCII characters.")]}
        )
    request_text = json.dumps(
        [request.method, request.path, args], sort_keys=True, default=str, ensure_ascii=False
    )
    fingerprint = hashlib.sha256(request_text.encode()).hexdigest()
    return Idempotency(actor.user_id, match.group(1), fingerprint)

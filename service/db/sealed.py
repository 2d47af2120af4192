"""Secrets sealed at rest: a user's TOTP seed is stored encrypted (Fernet: AES-128-CBC and an
HMAC, from `cryptography`) under APP_TOTP_KEY, so a copy of the database (a backup, a stolen
dump, an SQL hole) does not hand out everyone's second factor.

The keys are process-wide, like the script budget: the app sets them from its settings at
start; without one (development, tests) the published development key below seals them.
APP_TOTP_KEY may list several keys, newest first: new seals use the first, any of them opens
one, and `flask users encrypt-second-factors` seals clear seeds and re-seals old ones under the
newest key (service.users_cli).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Dialect, String
from sqlalchemy.types import TypeDecorator

# Derived from a published phrase: it hides nothing, it only keeps development like production.
DEV_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"ngayhoi-antq development TOTP key").digest())
_CLEAR = re.compile(r"[A-Z2-7]+=*")  # a base32 seed as stored before sealing (0023)


class KeyMismatch(RuntimeError):
    """No configured key opens a sealed secret: APP_TOTP_KEY is not the key the seeds were
    sealed with, or lost it in a rotation. An operator's error: the API and the pages answer
    503 and log this message, the commands exit with it."""

    def __init__(self) -> None:
        super().__init__(
            "APP_TOTP_KEY does not open the stored second factors: set APP_TOTP_KEY to the key "
            "they were sealed with, or, to rotate keys, list that old key second "
            "(APP_TOTP_KEY=new,old) and run `flask users encrypt-second-factors`"
        )


_keys = MultiFernet([Fernet(DEV_KEY)])


def parse_keys(value: str) -> tuple[bytes, ...]:
    """APP_TOTP_KEY's keys, newest first. :raise ValueError: one is not a Fernet key."""
    keys = tuple(k.strip().encode() for k in value.split(",") if k.strip())
    for key in keys:
        Fernet(key)  # ValueError: "Fernet key must be 32 url-safe base64-encoded bytes."
    return keys


def use_keys(keys: Sequence[bytes]) -> None:
    global _keys  # one key ring per process, set by create_app
    _keys = MultiFernet([Fernet(k) for k in keys or (DEV_KEY,)])


def is_sealed(stored: str) -> bool:
    return _CLEAR.fullmatch(stored) is None


def seal(clear: str) -> str:
    return _keys.encrypt(clear.encode()).decode()


def unseal(stored: str) -> str:
    """The clear secret; a seed stored before sealing comes back as it is."""
    if not is_sealed(stored):
        return stored
    try:
        return _keys.decrypt(stored.encode()).decode()
    except InvalidToken as err:
        raise KeyMismatch from err


def opens(stored: str) -> bool:
    """Whether the configured keys open `stored` (a clear seed needs none)."""
    try:
        unseal(stored)
    except KeyMismatch:
        return False
    return True


def reseal(stored: str) -> str:
    """`stored` sealed under the newest key (a clear seed sealed, an old seal renewed)."""
    return seal(unseal(stored))


class Sealed(TypeDecorator[str]):
    """A string column whose values are sealed on the way in and opened on the way out."""

    impl = String(255)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else seal(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else unseal(value)

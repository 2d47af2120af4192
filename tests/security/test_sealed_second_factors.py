"""The second factors' seeds are sealed at rest (service.db.sealed): the column never holds
the base32 seed, codes still log in on both databases, seeds stored in clear before 0023 are
sealed by `flask users encrypt-second-factors`, keys rotate, production wants a key of its own,
and `flask users reset-second-factor` forgets a lost phone on the record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import select, text

from service.app import create_app
from service.cli import DEMO_PASSWORD, DEMO_TOTP_SECRET
from service.config import Settings, UnsafeConfiguration
from service.db.models import Event, User
from service.db.sealed import DEV_KEY, KeyMismatch
from service.db.uow import UnitOfWork
from tests.conftest import SECOND_FACTOR_USERS, FakeClock, fresh_code

CHAIRMAN = "thanhhoa.chutich"


def _stored(app: Flask) -> dict[str, str]:
    """What the database holds in the column, as a copy of it would show."""
    with app.extensions["db_engine"].connect() as conn:
        rows = conn.execute(
            text("SELECT username, totp_secret FROM user_account WHERE totp_secret IS NOT NULL")
        )
        return {username: stored for username, stored in rows}


def _token(app: Flask, username: str = CHAIRMAN) -> int:
    body = {"username": username, "password": DEMO_PASSWORD, "otp": fresh_code(app, username)}
    return app.test_client().post("/api/v1/auth/token", json=body).status_code


def _cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["users", *args])
    return result.exit_code, result.output


def test_the_column_never_holds_the_seed_and_codes_still_log_in(app: Flask) -> None:
    stored = _stored(app)
    assert set(stored) == SECOND_FACTOR_USERS
    for value in stored.values():
        assert DEMO_TOTP_SECRET not in value and value.startswith("gAAAAA")  # a Fernet token
    assert len(set(stored.values())) == len(stored)  # each sealed with its own IV
    assert _token(app) == 200


def test_clear_seeds_from_before_sealing_work_until_the_command_seals_them(app: Flask) -> None:
    with app.extensions["db_engine"].begin() as conn:  # as 0022 left them
        conn.execute(
            text("UPDATE user_account SET totp_secret = :s WHERE username = :u"),
            {"s": DEMO_TOTP_SECRET, "u": CHAIRMAN},
        )
    assert _token(app) == 200

    code, output = _cli(app, "encrypt-second-factors")

    assert code == 0, output
    assert json.loads(output) == {"sealed": 1, "renewed": len(SECOND_FACTOR_USERS) - 1}
    assert DEMO_TOTP_SECRET not in _stored(app)[CHAIRMAN]
    assert _token(app) == 200
    with UnitOfWork(app.extensions["session_factory"], write=False) as uow:
        (event,) = uow.session.scalars(select(Event).filter_by(action="second_factors_sealed"))
        assert event.data == {
            "sealed": 1,
            "renewed": len(SECOND_FACTOR_USERS) - 1,
            "by": "command line",
        }


def test_a_new_key_first_renews_the_seals_and_the_old_key_can_go(
    app: Flask, clock: FakeClock, tmp_path: Path
) -> None:
    url, new = app.config["DATABASE_URL"], Fernet.generate_key()

    def started(*keys: bytes) -> Flask:
        rotated = create_app(Settings(database_url=url, secret_key="test-secret", totp_keys=keys))
        rotated.extensions["clock"] = clock
        return rotated

    both = started(new, DEV_KEY)
    assert _token(both) == 200  # the old seals open
    assert _cli(both, "encrypt-second-factors")[0] == 0
    both.extensions["db_engine"].dispose()
    only_new = started(new)
    assert _token(only_new) == 200
    only_new.extensions["db_engine"].dispose()
    stranger = started(Fernet.generate_key())
    with pytest.raises(KeyMismatch, match="APP_TOTP_KEY=new,old"):
        fresh_code(stranger, CHAIRMAN)
    stranger.extensions["db_engine"].dispose()


@pytest.mark.parametrize(
    ("key", "refusal"),
    [
        (None, "needs APP_TOTP_KEY of its own"),
        (DEV_KEY.decode(), "needs APP_TOTP_KEY of its own"),
        ("not-a-key", "APP_TOTP_KEY: Fernet key must be 32 url-safe base64-encoded bytes"),
    ],
)
def test_production_needs_a_sealing_key_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    database_url: str,
    key: str | None,
    refusal: str,
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("APP_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("APP_DATABASE_URL", database_url)
    monkeypatch.setenv("APP_SECRET_KEY", "k" * 48)
    if key is None:
        monkeypatch.delenv("APP_TOTP_KEY", raising=False)
    else:
        monkeypatch.setenv("APP_TOTP_KEY", key)
    with pytest.raises(UnsafeConfiguration, match=refusal):
        create_app()


def test_the_command_line_resets_a_lost_second_factor_on_the_record(app: Flask) -> None:
    assert _token(app) == 200

    code, output = _cli(app, "reset-second-factor", CHAIRMAN)

    assert (code, json.loads(output)) == (0, {"second_factor_reset": CHAIRMAN})
    with UnitOfWork(app.extensions["session_factory"], write=False) as uow:
        user = uow.session.scalars(select(User).filter_by(username=CHAIRMAN)).one()
        assert (user.totp_secret, user.recovery_codes) == (None, [])
        (event,) = uow.session.scalars(select(Event).filter_by(action="second_factor_reset"))
        assert event.data == {"user": CHAIRMAN, "by": "command line"}
    login = {"username": CHAIRMAN, "password": DEMO_PASSWORD}
    answer = app.test_client().post("/api/v1/auth/token", json=login)
    assert (answer.status_code, answer.json["error"]) == (403, "otp_enrolment_required")
    assert _cli(app, "reset-second-factor", "nobody") == (1, "Error: no user 'nobody'\n")

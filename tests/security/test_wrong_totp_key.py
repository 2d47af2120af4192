"""A wrong APP_TOTP_KEY (not the key the seeds were sealed with) is the operator's error, never
a 500: second factors answer 503 in the user's language and the log names the fix; users
without one, and resetting a lost one, keep working; the commands exit non-zero with the fix;
production refuses to start when the key opens none of the stored seeds."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from sqlalchemy import text

from service.app import create_app
from service.cli import DEMO_PASSWORD
from service.config import Settings, UnsafeConfiguration
from service.db.sealed import seal, use_keys
from tests.conftest import FakeClock
from tests.web.conftest import Browser

CHAIRMAN = "thanhhoa.chutich"  # a signer: a second factor
OFFICER = "thanhhoa.congan"  # drafts: none
FIX = "set APP_TOTP_KEY to the key they were sealed with"


@pytest.fixture
def stranger(app: Flask, clock: FakeClock, tmp_path: Path) -> Iterator[Flask]:
    """The same database, started with a key the seeds were not sealed with."""
    wrong = create_app(
        Settings(
            database_url=app.config["DATABASE_URL"],
            secret_key="test-secret",
            audit_key_path=tmp_path / "audit_ed25519.pem",
            witness_dir=tmp_path / "witness",
            totp_keys=(Fernet.generate_key(),),
        )
    )
    wrong.extensions["clock"] = clock
    yield wrong
    wrong.extensions["db_engine"].dispose()
    use_keys(())  # the key ring is process-wide: the next test's app starts with the dev key


def _fixes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]


def test_the_api_answers_503_naming_no_traceback_and_logs_the_fix(
    stranger: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    login = {"username": CHAIRMAN, "password": DEMO_PASSWORD, "otp": "123456"}

    answer = stranger.test_client().post("/api/v1/auth/token", json=login)

    assert answer.status_code == 503
    assert answer.json["error"] == "service_misconfigured"
    assert "Traceback" not in answer.get_data(as_text=True)
    (logged,) = _fixes(caplog)
    assert FIX in logged and "APP_TOTP_KEY=new,old" in logged
    assert all(r.exc_info is None for r in caplog.records)  # an operator's error: no traceback
    # without a code the password step still answers as always: the seed is not opened
    del login["otp"]
    refused = stranger.test_client().post("/api/v1/auth/token", json=login)
    assert (refused.status_code, refused.json["error"]) == (401, "otp_required")


@pytest.mark.parametrize(
    ("lang", "said", "unsaid"),
    [
        ("vi", "Dịch vụ bị cấu hình sai", "misconfigured"),
        ("en", "The service is misconfigured", "cấu hình"),
    ],
)
def test_the_code_page_answers_503_in_the_users_language(
    stranger: Flask, caplog: pytest.LogCaptureFixture, lang: str, said: str, unsaid: str
) -> None:
    browser = Browser(stranger.test_client())
    browser.post("/language", {"lang": lang, "next": "/login"})
    browser.get("/login")
    asked = browser.post("/login", {"username": CHAIRMAN, "password": DEMO_PASSWORD})
    assert asked.location.startswith("/login/code")
    browser.get(asked.location)

    answer = browser.post(asked.location, {"code": "123456"})

    page = answer.get_data(as_text=True)
    assert answer.status_code == 503
    assert said in page and unsaid not in page and "Traceback" not in page
    assert any(FIX in line for line in _fixes(caplog))


def test_users_without_a_second_factor_keep_working(stranger: Flask) -> None:
    browser = Browser(stranger.test_client())
    assert browser.login(OFFICER).location == "/"
    assert browser.get("/inbox").status_code == 200
    token = stranger.test_client().post(
        "/api/v1/auth/token", json={"username": OFFICER, "password": DEMO_PASSWORD}
    )
    assert token.status_code == 200


def test_the_commands_exit_with_the_fix_and_a_lost_factor_can_still_be_reset(
    stranger: Flask,
) -> None:
    runner = stranger.test_cli_runner()

    sealing = runner.invoke(args=["users", "encrypt-second-factors"])

    assert sealing.exit_code == 1
    assert sealing.output.startswith("Error: APP_TOTP_KEY does not open") and FIX in sealing.output
    reset = runner.invoke(args=["users", "reset-second-factor", CHAIRMAN])
    assert reset.exit_code == 0, reset.output  # the old key lost: each resets and enrols anew
    refused = stranger.test_client().post(
        "/api/v1/auth/token", json={"username": CHAIRMAN, "password": DEMO_PASSWORD}
    )
    assert (refused.status_code, refused.json["error"]) == (403, "otp_enrolment_required")


def _production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, key: bytes) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("APP_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("APP_DATABASE_URL", url)
    monkeypatch.setenv("APP_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("APP_TOTP_KEY", key.decode())


def test_production_refuses_to_start_when_the_key_opens_no_stored_seed(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _production(monkeypatch, tmp_path, app.config["DATABASE_URL"], Fernet.generate_key())

    with pytest.raises(UnsafeConfiguration, match=f"refuses to start: .*{FIX}"):
        create_app()
    use_keys(())


def test_production_logs_the_seeds_that_do_not_open(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = Fernet.generate_key()
    use_keys((key,))
    with app.extensions["db_engine"].begin() as conn:  # one seed sealed under the new key
        conn.execute(
            text("UPDATE user_account SET totp_secret = :s WHERE username = :u"),
            {"s": seal("JBSWY3DPEHPK3PXP"), "u": CHAIRMAN},
        )
    use_keys(())
    _production(monkeypatch, tmp_path, app.config["DATABASE_URL"], key)

    with pytest.raises(UnsafeConfiguration, match="demo password"):  # the next refusal
        create_app()
    use_keys(())

    (logged,) = _fixes(caplog)
    assert logged.startswith(f"{len(_enrolled(app)) - 1} of {len(_enrolled(app))} second")
    assert FIX in logged and "flask users reset-second-factor" in logged


def _enrolled(app: Flask) -> list[str]:
    with app.extensions["db_engine"].connect() as conn:
        query = "SELECT username FROM user_account WHERE totp_secret IS NOT NULL"
        return list(conn.execute(text(query)).scalars())

"""The second factor: enrolment on first login, codes on every login, replays and recovery codes
refused a second time, and the API's token asking for the code too."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select

from service.cli import DEMO_PASSWORD, DEMO_TOTP_SECRET
from service.db.models import User
from service.db.uow import UnitOfWork
from service.operations import second_factor
from service.operations.actors import password_hasher
from service.operations.directory import load_directory
from tests.conftest import ApiClient, fresh_code
from tests.web.conftest import Browser

CHAIRMAN, POLICE = "thanhhoa.chutich", "thanhhoa.congan"
NEWCOMER = "thanhhoa.phochutich2"  # a vice-chairman who has never logged in


def _add_newcomer(app: Flask, demo_hash: str) -> None:
    user = {
        "username": NEWCOMER,
        "full_name": "Lê Văn Mới",
        "agency": "thanh-hoa-ubnd",
        "roles": ["vice_chairman"],
    }
    load_directory(UnitOfWork(app.extensions["session_factory"]), {"user": [user]}, demo_hash)


def _code_at(secret: str, app: Flask) -> str:
    return str(pyotp.TOTP(secret).at(app.extensions["clock"]()))


def _enrol(app: Flask, browser: Browser) -> tuple[str, list[str]]:
    """Log in as the newcomer, read the key off the enrolment page, confirm; the codes."""
    browser.get("/login")
    answer = browser.post("/login", {"username": NEWCOMER, "password": DEMO_PASSWORD})
    assert answer.status_code == 302 and answer.location.startswith("/login/enrol")
    page = browser.get(answer.location).get_data(as_text=True)
    (uri,) = re.findall(r"<code>(otpauth://[^<]+)</code>", page)
    secret = parse_qs(urlsplit(uri.replace("&amp;", "&")).query)["secret"][0]
    answer = browser.post("/login/enrol", {"code": _code_at(secret, app)})
    assert answer.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", answer.text)
    return secret, codes


def test_a_signer_enrols_on_first_login_with_a_qr_code_and_gets_recovery_codes(
    app: Flask, demo_hash: str, browser: Browser
) -> None:
    _add_newcomer(app, demo_hash)
    browser.get("/login")
    answer = browser.post("/login", {"username": NEWCOMER, "password": DEMO_PASSWORD})
    assert answer.location.startswith("/login/enrol")
    assert browser.get("/inbox").status_code == 302  # not logged in before the code
    page = browser.get("/login/enrol").get_data(as_text=True)
    assert "Thiết lập xác thực hai lớp" in page
    qr = re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert qr and base64.b64decode(qr.group(1)).startswith(b"<svg")
    uri = re.search(r"<code>(otpauth://totp/[^<]+)</code>", page)
    assert uri and f"{NEWCOMER}" in uri.group(1)
    wrong = browser.post("/login/enrol", {"code": "000000"})
    assert wrong.status_code == 401 and "Mã không đúng" in wrong.text
    assert browser.get("/login/enrol").get_data(as_text=True).count(uri.group(1)) == 1  # same key
    _, codes = _enrol(app, browser)
    assert len(set(codes)) == 10
    assert browser.get("/inbox").status_code == 200


def test_the_api_refuses_a_signer_without_a_second_factor_then_asks_for_the_code(
    app: Flask, demo_hash: str, browser: Browser
) -> None:
    _add_newcomer(app, demo_hash)
    client = app.test_client()
    login = {"username": NEWCOMER, "password": DEMO_PASSWORD}
    answer = client.post("/api/v1/auth/token", json=login)
    assert answer.status_code == 403 and answer.json["error"] == "otp_enrolment_required"
    secret, _ = _enrol(app, browser)
    answer = client.post("/api/v1/auth/token", json=login)
    assert answer.status_code == 401 and answer.json["error"] == "otp_required"
    app.extensions["clock"].advance(seconds=30)  # the enrolment used this step's code
    answer = client.post("/api/v1/auth/token", json={**login, "otp": "12345"})
    assert answer.status_code == 401 and answer.json["error"] == "otp_invalid"
    answer = client.post("/api/v1/auth/token", json={**login, "otp": _code_at(secret, app)})
    assert answer.status_code == 200
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {answer.json['token']}"})
    assert me.json["username"] == NEWCOMER


def test_a_code_works_once_in_its_window(app: Flask, new_browser: object) -> None:
    first, second = new_browser(), new_browser()  # type: ignore[operator]
    code = fresh_code(app, CHAIRMAN)
    for person in (first, second):
        person.get("/login")
        answer = person.post("/login", {"username": CHAIRMAN, "password": DEMO_PASSWORD})
        assert answer.location.startswith("/login/code")
        person.get(answer.location)
    assert first.post("/login/code", {"code": code}).status_code == 302
    replayed = second.post("/login/code", {"code": code})
    assert replayed.status_code == 401 and "Mã không đúng" in replayed.text
    assert second.get("/inbox").status_code == 302
    token = {"username": CHAIRMAN, "password": DEMO_PASSWORD, "otp": code}
    assert app.test_client().post("/api/v1/auth/token", json=token).status_code == 401
    assert second.post("/login/code", {"code": fresh_code(app, CHAIRMAN)}).status_code == 302


def test_a_recovery_code_logs_in_once(app: Flask, demo_hash: str, new_browser: object) -> None:
    _add_newcomer(app, demo_hash)
    _, codes = _enrol(app, new_browser())  # type: ignore[operator]
    login = {"username": NEWCOMER, "password": DEMO_PASSWORD}
    client = app.test_client()
    assert client.post("/api/v1/auth/token", json={**login, "otp": codes[3]}).status_code == 200
    again = client.post("/api/v1/auth/token", json={**login, "otp": codes[3]})
    assert again.status_code == 401
    person = new_browser()  # type: ignore[operator]
    person.get("/login")
    answer = person.post("/login", login)
    person.get(answer.location)
    assert person.post("/login/code", {"code": codes[3].upper()}).status_code == 401
    assert person.post("/login/code", {"code": f" {codes[7].upper()} "}).status_code == 302


def test_a_recovery_code_hashed_at_the_password_cost_before_still_logs_in(
    app: Flask, demo_hash: str, new_browser: object
) -> None:
    """Codes made before they had their own, lower cost keep working: Argon2 reads the cost
    from the hash."""
    _add_newcomer(app, demo_hash)
    _, codes = _enrol(app, new_browser())  # type: ignore[operator]
    with app.extensions["session_factory"].begin() as session:
        user = session.scalars(select(User).filter_by(username=NEWCOMER)).one()
        rows = sorted(user.recovery_codes, key=lambda row: row.id)
        assert all("m=8192,t=1,p=1" in row.code_hash for row in rows)  # hashed at their cost
        rows[0].code_hash = password_hasher().hash(codes[0])  # as enrolment used to
    login = {"username": NEWCOMER, "password": DEMO_PASSWORD, "otp": codes[0]}
    client = app.test_client()
    assert client.post("/api/v1/auth/token", json=login).status_code == 200
    assert client.post("/api/v1/auth/token", json=login).status_code == 401  # spent


def test_a_mistyped_six_digit_code_tries_no_recovery_code(
    app: Flask, demo_hash: str, new_browser: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong 6-digit code cannot be a recovery code: it is refused without hashing it
    against each of them."""
    _add_newcomer(app, demo_hash)
    _, codes = _enrol(app, new_browser())  # type: ignore[operator]
    tried: list[str] = []
    hasher = second_factor.recovery_hasher()
    monkeypatch.setattr(second_factor, "recovery_hasher", lambda: _Spy(hasher, tried))
    login = {"username": NEWCOMER, "password": DEMO_PASSWORD}
    client = app.test_client()
    answer = client.post("/api/v1/auth/token", json={**login, "otp": "000000"})
    assert answer.status_code == 401 and answer.json["error"] == "otp_invalid"
    assert tried == []
    assert client.post("/api/v1/auth/token", json={**login, "otp": codes[9]}).status_code == 200
    assert tried  # a recovery code is checked against the hashes


class _Spy:
    def __init__(self, hasher: PasswordHasher, tried: list[str]) -> None:
        self._hasher, self._tried = hasher, tried

    def verify(self, hashed: str, code: str) -> bool:
        self._tried.append(code)
        return self._hasher.verify(hashed, code)


def test_wrong_codes_are_rate_limited_per_user(browser: Browser, api: ApiClient) -> None:
    browser.get("/login")
    answer = browser.post("/login", {"username": CHAIRMAN, "password": DEMO_PASSWORD})
    browser.get(answer.location)
    answers = [browser.post("/login/code", {"code": "000000"}).status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    assert api.login("thanhhoa.phochutich")  # another signer is not held up


def test_the_code_step_does_not_outlive_its_minutes(app: Flask, browser: Browser) -> None:
    browser.get("/login")
    answer = browser.post("/login", {"username": CHAIRMAN, "password": DEMO_PASSWORD})
    browser.get(answer.location)
    with browser.client.session_transaction() as session:
        session["pending"] = {**session["pending"], "at": session["pending"]["at"] - 301}
    answer = browser.post("/login/code", {"code": fresh_code(app, CHAIRMAN)})
    assert answer.status_code == 302 and answer.location == "/login"
    assert browser.get("/inbox").status_code == 302


def test_users_who_sign_nothing_log_in_with_the_password_alone(browser: Browser) -> None:
    answer = browser.login(POLICE)
    assert answer.status_code == 302 and answer.location == "/"  # home, then the inbox
    assert browser.get("/").location == "/inbox"


# (the phone's clock against the server's, in 30-s steps; accepted?): one step either way,
# for a phone a little early or late (RFC 6238 §6), and no wider. Five: the token request's
# limit per user and minute.
DRIFT = [(-2, False), (-1, True), (0, True), (1, True), (2, False)]


def test_codes_are_accepted_one_step_early_or_late_and_no_further(app: Flask) -> None:
    secret, now = DEMO_TOTP_SECRET, app.extensions["clock"]()
    seen = []
    for steps, _ in DRIFT:  # oldest first: an accepted code spends its step and those before
        code = pyotp.TOTP(secret).at(now + timedelta(seconds=30 * steps))
        token = {"username": CHAIRMAN, "password": DEMO_PASSWORD, "otp": code}
        answer = app.test_client().post("/api/v1/auth/token", json=token)
        seen.append((steps, answer.status_code == 200))
    assert seen == DRIFT

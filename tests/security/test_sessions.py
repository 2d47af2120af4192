"""Sessions: kept on the server, a new one at each login, ended when idle or too old, at
logout, by the user or an administrator, and every session and token of a user ended when the
user is disabled or given a new password (ASVS 5.0 7.2.4, 7.3.1, 7.4.1, 7.4.2, 7.5.2)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select, update

from service.db.models import LoginSession, User
from service.db.uow import UnitOfWork
from tests.conftest import ApiClient, FakeClock
from tests.web.conftest import Browser

POLICE, CHAIRMAN = "thanhhoa.congan", "thanhhoa.chutich"


def _cookie(browser: Browser) -> str:
    cookie = browser.client.get_cookie("antq_session")
    assert cookie is not None
    return cookie.value


def test_login_issues_a_new_session_and_the_old_cookie_stays_anonymous(browser: Browser) -> None:
    browser.get("/login")
    before = _cookie(browser)
    browser.login(POLICE)
    assert _cookie(browser) != before
    assert browser.get("/inbox").status_code == 200
    browser.client.set_cookie("antq_session", before)  # a cookie planted before the login
    assert browser.get("/inbox").status_code == 302


@pytest.fixture
def wall(app: Flask) -> FakeClock:
    """The sessions' real-time clock, moved by the test."""
    clock = FakeClock(datetime.now(UTC))
    app.extensions["session_clock"] = clock
    return clock


def _sessions(app: Flask, username: str) -> list[LoginSession]:
    with app.extensions["session_factory"]() as session:
        query = select(LoginSession).join(User).filter(User.username == username)
        return list(session.scalars(query.order_by(LoginSession.id)))


def test_an_idle_session_ends_and_a_busy_one_goes_on(
    app: Flask, browser: Browser, wall: FakeClock
) -> None:
    idle = app.config["IDLE_TIMEOUT_SECONDS"]
    browser.login(POLICE)
    wall.advance(seconds=idle - 60)  # used a minute before it would expire
    assert browser.get("/inbox").status_code == 200
    wall.advance(seconds=idle - 60)  # the last use moved the limit on
    assert browser.get("/inbox").status_code == 200
    wall.advance(seconds=idle + 1)
    answer = browser.get("/inbox")
    assert answer.status_code == 302 and answer.location.startswith("/login")
    assert "Phiên làm việc đã hết hạn" in browser.get(answer.location).get_data(as_text=True)
    (row,) = _sessions(app, POLICE)
    assert row.ended_reason == "idle"


def test_a_busy_session_still_ends_after_its_lifetime(
    app: Flask, browser: Browser, wall: FakeClock
) -> None:
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    step = app.config["IDLE_TIMEOUT_SECONDS"] - 1
    browser.login(POLICE)
    used = 0
    while used + step < lifetime:
        wall.advance(seconds=step)
        used += step
        assert browser.get("/inbox").status_code == 200, used
    wall.advance(seconds=lifetime - used + 1)
    assert browser.get("/inbox").status_code == 302
    assert _sessions(app, POLICE)[0].ended_reason == "expired"


def _copy(browser: Browser, other: Browser) -> None:
    """Someone copies the session cookie into another browser."""
    other.client.set_cookie("antq_session", _cookie(browser))
    assert other.get("/inbox").status_code == 200


def test_a_copied_cookie_stops_working_at_logout(app: Flask, browser: Browser) -> None:
    browser.login(POLICE)
    thief = Browser(app.test_client())
    _copy(browser, thief)
    assert browser.post("/logout").status_code == 302
    answer = thief.get("/inbox")
    assert answer.status_code == 302 and answer.location.startswith("/login")
    (row,) = _sessions(app, POLICE)
    assert row.ended_reason == "logout" and row.ended_at is not None


def test_a_copied_cookie_stops_working_when_the_user_is_disabled(
    app: Flask, browser: Browser
) -> None:
    browser.login(POLICE)
    thief = Browser(app.test_client())
    _copy(browser, thief)
    with app.app_context():
        assert app.test_cli_runner().invoke(args=["disable-user", POLICE]).exit_code == 0
    assert thief.get("/inbox").status_code == 302
    assert _sessions(app, POLICE)[0].ended_reason == "user_disabled"


def test_a_new_password_ends_every_session_and_token(
    app: Flask, api: ApiClient, browser: Browser
) -> None:
    browser.login(POLICE)
    thief = Browser(app.test_client())
    _copy(browser, thief)
    token = api.login(POLICE)
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["set-password", POLICE], input="a new password 1\na new password 1\n"
        )
    assert result.exit_code == 0, result.output
    assert '"sessions_ended": 1' in result.output
    assert thief.get("/inbox").status_code == 302
    assert browser.get("/inbox").status_code == 302
    answer = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and answer.json["error"] == "session_ended"
    assert browser.login(POLICE).status_code == 401  # the old password is gone
    assert browser.login(POLICE, "a new password 1").status_code == 302
    assert browser.get("/inbox").status_code == 200


def test_a_user_sees_their_sessions_and_ends_the_others(app: Flask, new_browser) -> None:  # type: ignore[no-untyped-def]
    office, home, phone = new_browser(), new_browser(), new_browser()
    for b in (office, home, phone):
        b.login(POLICE)
    page = office.get("/account/sessions")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('/end"') == 2  # the two others, not this one
    rows = _sessions(app, POLICE)
    assert office.post(f"/account/sessions/{rows[1].id}/end").status_code == 302  # home's
    assert home.get("/inbox").status_code == 302
    assert phone.get("/inbox").status_code == 200
    assert office.post("/account/sessions/end-others").status_code == 302
    assert phone.get("/inbox").status_code == 302
    assert office.get("/inbox").status_code == 200
    assert [r.ended_reason for r in _sessions(app, POLICE)] == [None] + ["ended_by_user"] * 2


def test_nobody_ends_another_users_session_from_their_own_page(app: Flask, new_browser) -> None:  # type: ignore[no-untyped-def]
    victim, other = new_browser(), new_browser()
    victim.login(POLICE)
    other.login("thanhhoa.taichinh")
    (row,) = _sessions(app, POLICE)
    assert other.post(f"/account/sessions/{row.id}/end").status_code == 404
    assert victim.get("/inbox").status_code == 200


def test_an_administrator_ends_a_users_sessions_and_tokens(
    app: Flask,
    api: ApiClient,
    browser: Browser,
    new_browser,  # type: ignore[no-untyped-def]
) -> None:
    browser.login(POLICE)
    token = api.login(POLICE)
    answer = api.call("DELETE", f"/api/v1/users/{POLICE}/sessions", "thanhhoa.taichinh")
    assert answer.status_code == 403
    answer = api.call("DELETE", f"/api/v1/users/{POLICE}/sessions", "admin")
    assert (answer.status_code, answer.json) == (200, {"ended": 1})
    assert browser.get("/inbox").status_code == 302
    mine = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 401
    unknown = api.call("DELETE", "/api/v1/users/nobody/sessions", "admin")
    assert unknown.status_code == 404 and unknown.json["error"] == "user_not_found"
    # and from the security log's page
    browser.login(POLICE)
    admin = new_browser()
    admin.login("admin")
    assert admin.post("/security-log/end-sessions", {"username": POLICE}).status_code == 302
    assert browser.get("/inbox").status_code == 302


def test_disabling_a_user_ends_their_sessions_and_tokens(
    app: Flask, api: ApiClient, browser: Browser
) -> None:
    browser.login(CHAIRMAN)
    token = api.login(CHAIRMAN)
    assert api.get("/api/v1/me", CHAIRMAN).status_code == 200
    with app.app_context():  # the flask command pushes it; a plain click command needs it here
        result = app.test_cli_runner().invoke(args=["disable-user", CHAIRMAN])
    assert result.exit_code == 0, result.output
    answer = api.get("/api/v1/me", CHAIRMAN)
    assert answer.status_code == 401 and answer.json["error"] == "user_inactive"
    page = browser.get("/inbox")
    assert page.status_code == 302 and page.location.startswith("/login")
    # switched back on in the database, the old session and token still do not come back
    with UnitOfWork(app.extensions["session_factory"]) as uow:
        uow.session.execute(update(User).filter_by(username=CHAIRMAN).values(active=True))
        uow.commit()
    answer = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401 and answer.json["error"] == "session_ended"
    assert browser.get("/inbox").status_code == 302


def test_disabling_an_unknown_user_says_so(app: Flask) -> None:
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["disable-user", "nobody"])
    assert result.exit_code == 1 and "no user 'nobody'" in result.output

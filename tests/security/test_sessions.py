"""Sessions: a new one at each login, ended when idle, and every session and token of a user
ended when the user is disabled (ASVS 5.0 7.2.4, 7.3.1, 7.4.2)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import update

from service.db.models import User
from service.db.uow import UnitOfWork
from tests.conftest import ApiClient
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


def test_an_idle_session_ends_and_a_busy_one_goes_on(app: Flask, browser: Browser) -> None:
    idle = app.config["IDLE_TIMEOUT_SECONDS"]
    browser.login(POLICE)
    with browser.client.session_transaction() as session:
        session["seen_at"] -= idle - 60  # used a minute before it would expire
    assert browser.get("/inbox").status_code == 200
    with browser.client.session_transaction() as session:
        session["seen_at"] -= idle + 1
    answer = browser.get("/inbox")
    assert answer.status_code == 302 and answer.location.startswith("/login")
    assert "Phiên làm việc đã hết hạn" in browser.get(answer.location).get_data(as_text=True)


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

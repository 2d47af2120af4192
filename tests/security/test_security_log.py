"""The security log (ASVS 5.0 16.3): logins, failures, logouts, second-factor failures,
sessions ended, rate-limit hits and refused requests, for administrators only; an entry
outlives the rollback of the request it describes; no password, code or token in it. And the
per-address limit on failed logins, against password spraying."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from service.cli import DEMO_PASSWORD
from service.db.models import SecurityEvent
from tests.conftest import ApiClient
from tests.web.conftest import Browser
from workflows.calendar import local_day

POLICE, CHAIRMAN = "thanhhoa.congan", "thanhhoa.chutich"


def _log(app: Flask) -> list[SecurityEvent]:
    with app.extensions["session_factory"]() as session:
        return list(session.scalars(select(SecurityEvent).order_by(SecurityEvent.id)))


def _kinds(app: Flask) -> list[tuple[str, str | None]]:
    return [(e.kind, e.username) for e in _log(app)]


def test_logins_failures_and_logouts_are_logged_without_secrets(
    app: Flask, api: ApiClient, browser: Browser
) -> None:
    browser.login(POLICE, "not-the-password")
    browser.login(POLICE)
    browser.post("/logout")
    browser.get("/login")
    browser.post("/login", {"username": CHAIRMAN, "password": DEMO_PASSWORD})
    browser.get("/login/code")
    browser.post("/login/code", {"code": "000000"})
    wrong = {"username": "nobody.here", "password": "hunter2-secret"}
    assert api.client.post("/api/v1/auth/token", json=wrong).status_code == 401
    bad_otp = {"username": CHAIRMAN, "password": DEMO_PASSWORD, "otp": "999999"}
    assert api.client.post("/api/v1/auth/token", json=bad_otp).status_code == 401
    api.login(POLICE)
    entries = _log(app)
    assert [e.kind for e in entries] == [
        "login_failed",
        "login",
        "logout",
        "second_factor_failed",
        "login_failed",
        "second_factor_failed",
        "login",
    ]
    assert entries[0].username == POLICE and entries[0].address == "127.0.0.1"
    assert entries[1].user_id is not None and entries[2].user_id == entries[1].user_id
    assert entries[4].username == "nobody.here" and entries[4].detail == "api token"
    text = repr([vars(e) for e in entries])
    for secret in ("hunter2-secret", DEMO_PASSWORD, "000000", "999999", api.tokens[POLICE]):
        assert secret not in text


def test_a_refused_request_is_logged_though_its_transaction_rolls_back(
    app: Flask, api: ApiClient, browser: Browser
) -> None:
    body = {"definition": "plan_chain", "title": "Kế hoạch không được phép"}
    answer = api.post("/api/v1/processes", "thanhhoa.thanhtra", json=body)  # not a drafter
    assert answer.status_code == 403
    browser.login(POLICE)
    assert browser.get("/audit").status_code == 403
    refused = [e for e in _log(app) if e.kind == "forbidden"]
    assert [(e.method, e.path) for e in refused] == [
        ("POST", "/api/v1/processes"),
        ("GET", "/audit"),
    ]
    assert None not in {refused[0].user_id, refused[1].user_id}
    assert refused[0].user_id != refused[1].user_id


def test_only_administrators_read_the_log_with_filters_and_pages(
    app: Flask, api: ApiClient, browser: Browser
) -> None:
    for attempt in range(3):
        api.client.post("/api/v1/auth/token", json={"username": f"x{attempt}", "password": "x"})
    browser.login(POLICE)
    assert api.get("/api/v1/security-log", POLICE).status_code == 403
    assert browser.get("/security-log").status_code == 403
    everything = api.get("/api/v1/security-log", "admin").json
    assert everything["total"] == len(_log(app))
    failed = api.get("/api/v1/security-log?kind=login_failed&per_page=2", "admin").json
    assert failed["total"] == 3 and len(failed["entries"]) == 2
    assert [e["username"] for e in failed["entries"]] == ["x2", "x1"]  # newest first
    second = api.get("/api/v1/security-log?kind=login_failed&per_page=2&page=2", "admin").json
    assert [e["username"] for e in second["entries"]] == ["x0"]
    mine = api.get(f"/api/v1/security-log?user={POLICE}", "admin").json
    assert {e["kind"] for e in mine["entries"]} == {"login", "forbidden"}
    today = local_day(datetime.now(UTC))
    day = api.get(f"/api/v1/security-log?date={today}", "admin").json
    assert day["total"] == everything["total"] > 0
    other = api.get(f"/api/v1/security-log?date={today - timedelta(days=1)}", "admin").json
    assert other["total"] == 0
    bad = api.get("/api/v1/security-log?kind=sneaky&date=yesterday", "admin")
    assert bad.status_code == 400
    assert set(bad.json["errors"]["query"]) == {"kind", "date"}
    admin = Browser(app.test_client())
    admin.login("admin")
    page = admin.get("/security-log?kind=login_failed").get_data(as_text=True)
    assert "x2" in page and "Đăng nhập không thành công" in page
    refused = admin.get("/security-log?date=nonsense&kind=sneaky")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400  # the page, its fields marked, the values as sent
    assert (
        'name="date" value="nonsense"' in page and 'id="date-error"><li>Nhập ngày theo dạng' in page
    )
    assert '<option value="sneaky" selected>sneaky</option>' in page and 'id="kind-error"' in page
    page = admin.get("/security-log?date=30/02/2026").get_data(as_text=True)
    assert 'id="date-error"><li>Ngày này không tồn tại.' in page  # written right, no such day
    no_such = api.get("/api/v1/security-log?date=2026-02-30", "admin")
    assert (no_such.status_code, no_such.json["codes"][0]["code"]) == (400, "no_such_date")
    shown = admin.get(f"/security-log?date={today:%d/%m/%Y}").get_data(as_text=True)
    assert f'name="date" value="{today:%d/%m/%Y}"' in shown and "x2" in shown
    far = admin.get("/security-log?kind=login_failed&page=999").get_data(as_text=True)
    assert "Không có gì ở trang 999." in far and 'href="/security-log?kind=login_failed"' in far
    iso = admin.get(f"/security-log?date={today}").get_data(as_text=True)
    assert f'name="date" value="{today:%d/%m/%Y}"' in iso


def test_password_spraying_from_one_address_is_stopped(app: Flask, browser: Browser) -> None:
    """21 usernames from one address: each name is tried once, so only the per-address limit
    can stop it (20 failed logins per 10 minutes), on the page and the API alike."""
    client = app.test_client()
    statuses = [
        client.post(
            "/api/v1/auth/token", json={"username": f"user{n}", "password": "Spring2023!"}
        ).status_code
        for n in range(10)
    ]
    browser.get("/login")
    for n in range(10, 21):
        answer = browser.post("/login", {"username": f"user{n}", "password": "Spring2023!"})
        statuses.append(answer.status_code)
    assert statuses == [401] * 20 + [429]
    assert int(answer.headers["Retry-After"]) > 0
    blocked = client.post("/api/v1/auth/token", json={"username": POLICE, "password": "x"})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    other = app.test_client()
    good = {"username": POLICE, "password": DEMO_PASSWORD}
    from_elsewhere = other.post(
        "/api/v1/auth/token", json=good, environ_base={"REMOTE_ADDR": "10.0.0.2"}
    )
    assert from_elsewhere.status_code == 200  # another address is not held up
    limited = [e for e in _log(app) if e.kind == "rate_limited"]
    assert [(e.username, e.path) for e in limited] == [
        ("user20", "/login"),
        (POLICE, "/api/v1/auth/token"),
    ]


def test_successful_logins_do_not_count_against_the_address(app: Flask) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    client = app.test_client()
    good = {"username": POLICE, "password": DEMO_PASSWORD}
    assert {client.post("/api/v1/auth/token", json=good).status_code for _ in range(25)} == {200}

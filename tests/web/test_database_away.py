"""While the database is away the pages answer a 503 page in the user's language with
`Retry-After`, as the API does, never a traceback; when it is back, the same session works.

The fault is real: on SQLite the database file becomes unopenable (a directory stands at its
path), on PostgreSQL the test cluster is stopped (run under scripts/with-postgres.sh)."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import make_url
from werkzeug.test import TestResponse

from tests.web.conftest import Browser

PAGES = ["/inbox", "/processes", "/notifications", "/dashboard"]


def _pg_ctl(action: str) -> None:
    data = os.environ["PG_CTL_DATA"]
    subprocess.run(  # noqa: S603  # the test cluster's own pg_ctl
        [*shlex.split(os.environ.get("PG_RUN_AS", "")), "pg_ctl", "-D", data]
        + ["-l", os.environ["PG_LOG"], "-w", "-m", "fast", action],
        cwd=Path(data).parent,
        check=True,
        capture_output=True,
        timeout=60,
    )


@contextmanager
def database_away(app: Flask) -> Iterator[None]:
    engine = app.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        if not os.environ.get("PG_CTL_DATA"):
            pytest.skip("PG_CTL_DATA not set (run under scripts/with-postgres.sh)")
        _pg_ctl("stop")
        try:
            yield
        finally:
            _pg_ctl("start")
        return
    path = Path(str(make_url(app.config["DATABASE_URL"]).database))
    engine.dispose()  # pooled connections would keep the file open
    path.rename(path.with_suffix(".away"))
    path.mkdir()  # SQLite: "unable to open database file"
    try:
        yield
    finally:
        path.rmdir()
        path.with_suffix(".away").rename(path)


def _is_unavailable_page(answer: TestResponse, words: str) -> None:
    text = answer.get_data(as_text=True)
    assert answer.status_code == 503, text
    assert answer.headers["Retry-After"] == "30"
    assert answer.mimetype == "text/html"
    assert words in text
    assert "Traceback" not in text and "OperationalError" not in text and "sqlite" not in text


# it stops the shared PostgreSQL cluster: with the faults, one test at a time, never beside
# other xdist workers' tests (a neighbour's test then met "connection refused")
@pytest.mark.fault
def test_pages_answer_503_while_the_database_is_away_and_recover(
    app: Flask, browser: Browser
) -> None:
    browser.login("thanhhoa.congan")
    assert browser.get("/inbox").status_code == 200

    with database_away(app):
        for page in PAGES:
            _is_unavailable_page(browser.client.get(page), "Cơ sở dữ liệu không phản hồi")
        task_form = browser.post("/processes/new", {"definition": "1"})
        _is_unavailable_page(task_form, "Hệ thống tạm thời gián đoạn")

    assert browser.get("/inbox").status_code == 200  # the same session, nothing to redo
    browser.post("/language", {"lang": "en", "next": "/inbox"})
    with database_away(app):
        english = browser.client.get("/inbox")
        _is_unavailable_page(english, "The database is not answering")
        assert "Cơ sở dữ liệu" not in english.get_data(as_text=True)
    assert browser.get("/inbox").status_code == 200  # the same session, nothing to redo

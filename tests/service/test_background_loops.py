"""The background processes outlive PostgreSQL going away: the render worker and the scheduler
(the real commands, in their own processes) wait while the database is stopped, then go on; a
plan signed afterwards gets its documents. Before, the first failed query ended the process
and documents stayed "being prepared" until someone restarted it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import ROOT, ApiClient
from tests.service.postgres_restart import postgresql_down
from tests.service.test_render_jobs import rows, sign

pytestmark = pytest.mark.fault

WITHIN = 60.0  # seconds a process may take to start, or to render once the database is back


class Background:
    """`flask <command>` in its own process, its output in a file the test reads."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(  # noqa: S603  # our interpreter, fixed arguments
                [sys.executable, "-m", "flask", "--app", "service", *command],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, count: int = 1) -> None:
        deadline = time.monotonic() + WITHIN
        while self.output().count(text) < count:
            assert self.process.poll() is None, f"exited: {self.output()}"
            assert time.monotonic() < deadline, f"never printed {text!r}: {self.output()}"
            time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=WITHIN)


@pytest.fixture
def background(app: Flask, database_url: str, tmp_path: Path) -> Iterator[list[Background]]:
    env = {
        **os.environ,
        "APP_DATABASE_URL": database_url,
        "APP_SECRET_KEY": app.config["SECRET_KEY"],
        "APP_INSTANCE_DIR": str(tmp_path),
        "PYTHONUNBUFFERED": "1",
    }
    started = [
        Background(["render-worker", "--interval", "0.05"], env, tmp_path / "render.log"),
        Background(["scheduler", "--interval", "1"], env, tmp_path / "scheduler.log"),
    ]
    yield started
    for process in started:
        process.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_render_worker_and_scheduler_outlive_postgresql_going_away(
    app: Flask, api: ApiClient, background: list[Background]
) -> None:
    render_worker, scheduler = background
    render_worker.wait_for(": ready")
    scheduler.wait_for("timers fired")
    app.extensions["db_engine"].dispose()  # the test's own connections go with the restart

    with postgresql_down(WITHIN):
        # each meets the database away at its next look (the worker every 0.05 s, the
        # scheduler within a second), says so and keeps running
        render_worker.wait_for("database unavailable")
        scheduler.wait_for("database unavailable")
    scheduler.wait_for("timers fired", count=2)  # a pass after the restart
    process_id = sign(api)
    deadline = time.monotonic() + WITHIN
    while not all(document.state == "ready" for document, _ in rows(app)):
        assert render_worker.process.poll() is None, render_worker.output()
        assert time.monotonic() < deadline, "the documents never appeared"
        time.sleep(0.1)
    ((document, job),) = rows(app)
    assert document.instance_id == process_id and document.pdf is not None
    assert job.attempts == 1  # rendered once, after the restart
    assert render_worker.process.poll() is None and scheduler.process.poll() is None

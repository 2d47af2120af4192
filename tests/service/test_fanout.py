"""A plan signed to more units than APP_FANOUT_INLINE_MAX: the signing answers at once, the
worker starts the units' processes in batches, each unit once, whatever stops it midway.

The threshold is lowered to 2 so that the demo plan's nine units go through the worker, in
batches of 2 or 4; the worker's steps run in process on the fake clock (no sleeps).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.db.models import Agency, Event, FanoutJob, ProcessInstance, ReportRound, Task
from service.db.uow import UnitOfWork
from service.operations import cascade, fanout
from service.operations.fanout import BACKOFF, FanoutReport, issue_batch, issue_pending
from tests.conftest import PLAN_2023, ROOT, ApiClient, FakeClock
from tests.service.audit_walk import AUDITOR, audited
from tests.service.test_documents import CHAIRMAN, POLICE, to_signature
from tests.web.conftest import Browser

UNITS = len(PLAN_2023["addressed_units"])  # 9


@pytest.fixture
def app(app: Flask) -> Flask:
    settings = app.extensions["settings"]
    app.extensions["settings"] = dataclasses.replace(settings, fanout_inline_max=2)
    return app


def uows(app: Flask) -> Any:
    factory, clock = app.extensions["session_factory"], app.extensions["clock"]
    return lambda: UnitOfWork(factory, clock=clock)


def sign(api: ApiClient) -> int:
    answer = api.complete(CHAIRMAN, to_signature(api), "approve")
    assert answer.status_code == 200, answer.json
    return int(answer.json["process_id"])


def started(app: Flask, plan: int) -> Counter[str]:
    """How many processes each unit code has under the plan (each must have one)."""
    with app.extensions["session_factory"]() as session:
        rows = session.execute(
            select(ProcessInstance.jurisdiction_id).where(ProcessInstance.parent_id == plan)
        ).scalars()
        codes = dict(session.execute(select(Agency.id, Agency.code)).all())
        return Counter(codes[r] for r in rows)


def unit_events(app: Flask, plan: int) -> int:
    with app.extensions["session_factory"]() as session:
        children = select(ProcessInstance.id).where(ProcessInstance.parent_id == plan)
        return int(
            session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.action == "process_started", Event.instance_id.in_(children))
            )
            or 0
        )


def job(app: Flask, plan: int) -> FanoutJob:
    with app.extensions["session_factory"]() as session:
        found = session.scalars(select(FanoutJob).filter_by(instance_id=plan)).one()
        session.expunge(found)
        return found


def all_once(app: Flask, plan: int) -> None:
    assert started(app, plan) == Counter(PLAN_2023["addressed_units"])
    assert unit_events(app, plan) == UNITS
    assert job(app, plan).done_at is not None


def test_the_signing_answers_before_the_units_exist_and_the_worker_starts_them_all(
    app: Flask, api: ApiClient, tmp_path: Path
) -> None:
    audited(app, tmp_path)
    plan = sign(api)
    assert started(app, plan) == Counter()  # the answer came before any unit's process
    detail = api.get(f"/api/v1/processes/{plan}", POLICE).json
    assert detail["issued_at"] is not None
    assert detail["issuing"] == {"issued": 0, "total": UNITS}
    assert api.get(f"/api/v1/processes/{plan}/children", POLICE).json == []
    with app.extensions["session_factory"]() as session:  # the rounds wait for every unit
        assert {
            r.open for r in session.scalars(select(ReportRound).filter_by(instance_id=plan))
        } == {UNITS}

    assert issue_pending(uows(app), 1, size=4) == FanoutReport(started=4, batches=1)
    assert sum(started(app, plan).values()) == 4
    assert api.get(f"/api/v1/processes/{plan}", POLICE).json["issuing"] == {
        "issued": 4,
        "total": UNITS,
    }
    browser = Browser(app.test_client())
    browser.login(POLICE)
    page = browser.get(f"/processes/{plan}").get_data(as_text=True)
    assert "Đang gửi tới đơn vị: 4/9" in page
    browser.post("/language", {"lang": "en", "next": "/inbox"})
    page = browser.get(f"/processes/{plan}").get_data(as_text=True)
    assert "Issuing to units: 4/9" in page and "Đang gửi" not in page

    assert issue_pending(uows(app), size=4) == FanoutReport(started=5, batches=2)
    assert issue_pending(uows(app), size=4) == FanoutReport()  # nothing left
    all_once(app, plan)
    assert api.get(f"/api/v1/processes/{plan}", POLICE).json["issuing"] is None
    assert "Issuing to units" not in browser.get(f"/processes/{plan}").get_data(as_text=True)
    children = api.get(f"/api/v1/processes/{plan}/children", POLICE).json
    assert len(children) == UNITS
    missing = api.get(f"/api/v1/processes/{plan}/missing", POLICE).json
    assert len(missing) == UNITS  # none has reported yet
    # a unit started by the worker acts like one started at the signing
    (task,) = [
        t
        for t in api.get("/api/v1/tasks", "thuongxuan.congan").json
        if t["process_id"] in {c["process_id"] for c in children}
    ]
    assert task["step"] == "draft_plan"
    verified = api.get("/api/v1/audit/verify", AUDITOR).json
    assert verified["first_broken"] is None, verified
    for child in children[:2]:
        replayed = api.get(f"/api/v1/processes/{child['process_id']}/replay", AUDITOR).json
        assert replayed["matches"], replayed


def test_under_the_threshold_the_signing_issues_inline(app: Flask, api: ApiClient) -> None:
    settings = app.extensions["settings"]
    app.extensions["settings"] = dataclasses.replace(settings, fanout_inline_max=UNITS)
    plan = sign(api)
    assert started(app, plan) == Counter(PLAN_2023["addressed_units"])
    assert api.get(f"/api/v1/processes/{plan}", POLICE).json["issuing"] is None
    with app.extensions["session_factory"]() as session:
        assert session.scalar(select(func.count()).select_from(FanoutJob)) == 0


@pytest.mark.parametrize("batched", [UNITS, 2], ids=["with the batch", "statements apart"])
def test_an_inline_issue_starts_each_unit_once_its_rows_with_the_batch_or_apart(
    app: Flask, api: ApiClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, batched: int
) -> None:
    """A few units' first tasks and events go with the signing's one statement, more as
    statements of their own (cascade.BATCHED_UNITS): either way each unit starts once, with
    its task, and its history verifies and replays."""
    audited(app, tmp_path)
    settings = app.extensions["settings"]
    app.extensions["settings"] = dataclasses.replace(settings, fanout_inline_max=UNITS)
    monkeypatch.setattr(cascade, "BATCHED_UNITS", batched)
    plan = sign(api)
    assert started(app, plan) == Counter(PLAN_2023["addressed_units"])
    assert unit_events(app, plan) == UNITS
    children = api.get(f"/api/v1/processes/{plan}/children", POLICE).json
    with app.extensions["session_factory"]() as session:
        for child in children:
            (step,) = session.scalars(select(Task.step).filter_by(instance_id=child["process_id"]))
            assert step == "draft_plan"
    verified = api.get("/api/v1/audit/verify", AUDITOR).json
    assert verified["first_broken"] is None, verified
    replayed = api.get(f"/api/v1/processes/{children[-1]['process_id']}/replay", AUDITOR).json
    assert replayed["matches"], replayed


class Killed(BaseException):
    """What a SIGKILL does to a batch: it stops after its rows went in, before the commit."""


def test_a_worker_killed_mid_batch_leaves_nothing_and_the_next_goes_on(
    app: Flask, api: ApiClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    audited(app, tmp_path)
    plan = sign(api)
    assert issue_pending(uows(app), 1, size=2).started == 2
    real = fanout.start_units

    def dies(*args: Any, **kwargs: Any) -> list[int]:
        real(*args, **kwargs)  # the batch's instances, tasks and events are inserted…
        raise Killed  # …and the process dies before it commits

    monkeypatch.setattr(fanout, "start_units", dies)
    with pytest.raises(Killed):
        issue_batch(uows(app)(), 2)
    assert sum(started(app, plan).values()) == 2
    assert job(app, plan).issued == 2
    monkeypatch.setattr(fanout, "start_units", real)

    assert issue_pending(uows(app), size=2) == FanoutReport(started=7, batches=4)
    all_once(app, plan)
    verified = api.get("/api/v1/audit/verify", AUDITOR).json
    assert verified["first_broken"] is None, verified


def test_a_failing_batch_is_retried_after_a_backoff(
    app: Flask, api: ApiClient, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = sign(api)

    def fails(*args: Any, **kwargs: Any) -> list[int]:
        raise RuntimeError("the directory is being reorganised")

    monkeypatch.setattr(fanout, "start_units", fails)
    assert issue_pending(uows(app), size=4) == FanoutReport(failed=1)
    failed = job(app, plan)
    assert (failed.attempts, failed.issued, failed.done_at) == (1, 0, None)
    assert "the directory is being reorganised" in (failed.last_error or "")
    monkeypatch.undo()
    assert issue_pending(uows(app), size=4) == FanoutReport()  # not due before the backoff
    clock.advance(seconds=BACKOFF.total_seconds())
    assert issue_pending(uows(app), size=4).started == UNITS
    all_once(app, plan)


def test_two_workers_racing_start_each_unit_once(app: Flask, api: ApiClient) -> None:
    plans = [sign(api) for _ in range(2)]
    start = threading.Barrier(2)
    reports: dict[str, FanoutReport] = {}

    def worker(name: str) -> None:
        start.wait()
        reports[name] = issue_pending(uows(app), size=2)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.started for r in reports.values()) == 2 * UNITS
    assert sum(r.failed for r in reports.values()) == 0
    for plan in plans:
        all_once(app, plan)


def test_the_worker_process_survives_a_sigkill(
    app: Flask, api: ApiClient, database_url: str, tmp_path: Path
) -> None:
    """The real command, one unit per batch: SIGKILLed once it has issued some units (within a
    batch or between two), started again, it issues the rest, each unit once."""
    audited(app, tmp_path)
    plan = sign(api)
    env = {
        **os.environ,
        "APP_DATABASE_URL": database_url,
        "APP_SECRET_KEY": "test-secret" * 4,
        "APP_INSTANCE_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "flask", "--app", "service", "render-worker"]
    # the suite keeps both cores busy: at their default lower priority renderings would crawl
    command += ["--interval", "0.05", "--units-per-batch", "1", "--nice", "0"]
    log = (tmp_path / "worker.log").open("w")
    first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
    try:
        deadline = time.monotonic() + 180  # a loaded machine takes long to start Python
        while job(app, plan).issued == 0:
            assert time.monotonic() < deadline, "the worker never issued a unit"
            time.sleep(0.01)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert job(app, plan).done_at is None  # killed midway: units are left to issue
    second = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
    try:
        deadline = time.monotonic() + 180
        while job(app, plan).done_at is None:
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.1)
    finally:
        second.terminate()
        second.wait()
        log.close()
    all_once(app, plan)
    verified = api.get("/api/v1/audit/verify", AUDITOR).json
    assert verified["first_broken"] is None, verified

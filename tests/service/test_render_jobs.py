"""Signing answers before its documents exist; the render worker makes them, once each.

The worker's steps are called in process on the fake clock (no sleeps): `render_documents`
runs what is due, `take_jobs` alone is a worker that took a job and died.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from service.db.models import Document, Event, RenderJob
from service.db.uow import UnitOfWork
from service.operations import rendering
from service.operations.rendering import (
    BACKOFF,
    LEASE,
    MAX_ATTEMPTS,
    render,
    render_pending,
    store,
    take_jobs,
)
from tests.conftest import PLAN_2023, ROOT, ApiClient, FakeClock, render_documents
from tests.service.audit_walk import AUDITOR, audited
from tests.service.documents_read import docx_text
from tests.service.test_documents import CHAIRMAN, POLICE, to_signature

SMALL = {**PLAN_2023, "addressed_units": [], "sections": PLAN_2023["sections"][:1]}


def uows(app: Flask) -> Any:
    factory, clock = app.extensions["session_factory"], app.extensions["clock"]
    return lambda: UnitOfWork(factory, clock=clock)


def sign(api: ApiClient, plan: dict[str, Any] = SMALL) -> int:
    """A plan signed by the Chairman; returns its process id."""
    answer = api.complete(CHAIRMAN, to_signature(api, plan), "approve")
    assert answer.status_code == 200, answer.json
    return int(answer.json["process_id"])


def rows(app: Flask) -> list[tuple[Document, RenderJob]]:
    with app.extensions["session_factory"]() as session:
        found = session.execute(
            select(Document, RenderJob)
            .join(RenderJob, RenderJob.document_id == Document.id)
            .order_by(Document.id)
        ).all()
        for document, _ in found:
            session.refresh(document, ["docx", "pdf", "content"])
        session.expunge_all()
        return [(document, job) for document, job in found]


def rendered_events(app: Flask) -> list[Event]:
    with app.extensions["session_factory"]() as session:
        events = session.scalars(
            select(Event).where(Event.action == "document_rendered").order_by(Event.id)
        ).all()
        session.expunge_all()
        return list(events)


def test_a_signing_answers_before_its_documents_exist_and_the_worker_makes_them(
    app: Flask, api: ApiClient, tmp_path: Path
) -> None:
    audited(app, tmp_path)
    process_id = sign(api)
    ((document, job),) = rows(app)
    assert (document.state, document.pdf, document.docx, document.pdf_sha256) == (
        "rendering",
        None,
        None,
        None,
    )
    assert (job.done_at, job.attempts, job.token) == (None, 0, None)
    assert document.content is not None and document.content["number"] == 1
    for fmt in ("pdf", "docx"):
        waiting = api.get(f"/api/v1/documents/{document.id}/{fmt}", POLICE)
        assert (waiting.status_code, waiting.headers["Retry-After"]) == (202, "2")
        assert waiting.json["state"] == "rendering" and "prepared" in waiting.json["message"]
    (listed,) = api.get(f"/api/v1/processes/{process_id}/documents", POLICE).json
    assert (listed["state"], listed["pdf_sha256"], listed["number_line"]) == (
        "rendering",
        None,
        "Số: 1/KH-BCĐ",
    )

    assert render_documents(app) == rendering.RenderReport(rendered=1)
    assert render_documents(app) == rendering.RenderReport()  # nothing left
    ((document, job),) = rows(app)
    assert document.state == "ready" and job.done_at is not None and job.attempts == 1
    pdf = api.get(f"/api/v1/documents/{document.id}/pdf", POLICE)
    docx = api.get(f"/api/v1/documents/{document.id}/docx", POLICE)
    assert (pdf.status_code, docx.status_code) == (200, 200)
    assert (pdf.data, docx.data) == (document.pdf, document.docx)
    (listed,) = api.get(f"/api/v1/processes/{process_id}/documents", POLICE).json
    assert listed["state"] == "ready"
    assert listed["pdf_sha256"] == hashlib.sha256(pdf.data).hexdigest()
    assert listed["docx_sha256"] == hashlib.sha256(docx.data).hexdigest()

    # the hashes of the stored bytes are in the instance's chain, and the chain verifies
    (event,) = rendered_events(app)
    assert event.instance_id == process_id and event.task_id == document.task_id
    assert event.data == {
        "kind": "KH",
        "number": 1,
        "symbol": "KH-BCĐ",
        "year": 2023,
        "docx_sha256": hashlib.sha256(docx.data).hexdigest(),
        "pdf_sha256": hashlib.sha256(pdf.data).hexdigest(),
    }
    verified = api.get("/api/v1/audit/verify", AUDITOR).json
    assert verified["first_broken"] is None, verified
    replayed = api.get(f"/api/v1/processes/{process_id}/replay", AUDITOR).json
    assert replayed["matches"], replayed
    history = api.get(f"/api/v1/processes/{process_id}/history", POLICE).json
    actions = [e["action"] for e in history]
    assert actions.index("document_issued") < actions.index("document_rendered") == len(actions) - 1


def test_documents_render_at_a_lower_priority_and_their_jobs_are_stored_at_ours(
    app: Flask, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker's rendering yields the CPU to requests; taking and storing the job, which
    hold the database's write turn, keep the caller's priority (Linux: per thread)."""
    sign(api)
    ours = os.getpriority(os.PRIO_PROCESS, 0)  # this thread's
    seen: dict[str, int] = {}
    real_render, real_store = rendering.render, rendering.store

    def render(*args: Any, **kwargs: Any) -> rendering.Files:
        seen["render"] = os.getpriority(os.PRIO_PROCESS, 0)
        return real_render(*args, **kwargs)

    def store(*args: Any, **kwargs: Any) -> bool:
        seen["store"] = os.getpriority(os.PRIO_PROCESS, 0)
        return real_store(*args, **kwargs)

    monkeypatch.setattr(rendering, "render", render)
    monkeypatch.setattr(rendering, "store", store)
    assert render_pending(uows(app), nice=5) == rendering.RenderReport(rendered=1)
    assert seen == {"render": min(ours + 5, 19), "store": ours}
    assert os.getpriority(os.PRIO_PROCESS, 0) == ours
    ((document, _job),) = rows(app)
    assert document.state == "ready" and document.pdf is not None


def test_the_content_is_frozen_at_signing(app: Flask, api: ApiClient) -> None:
    """Renaming the issuer after the signing does not change the signed document."""
    sign(api)
    with app.extensions["db_engine"].begin() as conn:
        conn.exec_driver_sql("UPDATE agency SET issuer_name = 'BAN ĐỔI TÊN', name = 'Đổi tên'")
    render_documents(app)
    ((document, _),) = rows(app)
    assert document.content is not None and document.content["issuer"] == "BAN CHỈ ĐẠO 138"
    text = docx_text(document.docx or b"")
    assert "BAN CHỈ ĐẠO 138" in text and "BAN ĐỔI TÊN" not in text


def test_a_renderer_killed_mid_job_loses_no_document(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    sign(api)
    (killed,) = take_jobs(uows(app)(), 4, worker="killed:1")  # took it, then SIGKILL
    assert render_documents(app) == rendering.RenderReport()  # it is leased: nobody takes it
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert render_documents(app) == rendering.RenderReport()
    clock.advance(seconds=2)  # the lease has expired
    assert render_documents(app) == rendering.RenderReport(rendered=1)
    ((document, job),) = rows(app)
    assert document.state == "ready" and job.attempts == 2
    assert job.last_error is not None and "killed:1" in job.last_error
    # should the first worker come back after all, its result is dropped: one result stored
    assert store(uows(app), killed, render(killed)) is False
    ((again, _),) = rows(app)
    assert (again.pdf, again.docx) == (document.pdf, document.docx)
    assert len(rendered_events(app)) == 1


def test_a_failing_render_is_retried_with_backoff_then_marked_failed(
    app: Flask, api: ApiClient, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    process_id = sign(api)

    def broken(document: Any) -> bytes:
        raise RuntimeError("no fonts today")

    monkeypatch.setattr(rendering, "write_pdf", broken)
    assert render_documents(app) == rendering.RenderReport(failed=1)
    ((document, job),) = rows(app)
    assert (document.state, job.attempts) == ("rendering", 1)
    assert job.last_error is not None and "no fonts today" in job.last_error
    assert job.run_after == clock() + BACKOFF[0]
    assert render_documents(app) == rendering.RenderReport()  # not before the backoff
    for attempt in range(2, MAX_ATTEMPTS + 1):
        clock.advance(hours=1)
        assert render_documents(app) == rendering.RenderReport(failed=1), attempt
    ((document, job),) = rows(app)
    assert (document.state, job.attempts) == ("failed", MAX_ATTEMPTS)
    assert job.failed_at is not None
    clock.advance(days=1)
    assert render_documents(app) == rendering.RenderReport()  # given up
    failed = api.get(f"/api/v1/documents/{document.id}/pdf", POLICE)
    assert (failed.status_code, failed.json["state"]) == (503, "failed")
    (listed,) = api.get(f"/api/v1/processes/{process_id}/documents", POLICE).json
    assert listed["state"] == "failed"
    history = api.get(f"/api/v1/processes/{process_id}/history", POLICE).json
    (gave_up,) = [e for e in history if e["action"] == "document_failed"]
    assert "no fonts today" in gave_up["data"]["error"]  # the log says why the files are missing


def test_a_job_given_up_after_its_worker_died_every_time(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    sign(api)
    for _ in range(MAX_ATTEMPTS):
        assert len(take_jobs(uows(app)(), 1, worker="dies")) == 1
        clock.advance(seconds=LEASE.total_seconds() + 1)
    assert take_jobs(uows(app)(), 1) == []
    ((document, job),) = rows(app)
    assert (document.state, job.failed_at is not None) == ("failed", True)


@pytest.mark.postgresql
def test_two_renderers_never_render_one_twice(
    app: Flask, api: ApiClient, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED between concurrent transactions: PostgreSQL")
    count = 8
    for _ in range(count):
        sign(api)
    start = threading.Barrier(2)
    reports: dict[str, rendering.RenderReport] = {}

    def worker(name: str) -> None:
        start.wait()
        reports[name] = render_pending(uows(app), batch=2, worker=name)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(r.rendered for r in reports.values()) == count
    assert sum(r.dropped + r.failed for r in reports.values()) == 0
    found = rows(app)
    assert [job.attempts for _, job in found] == [1] * count  # each job taken once
    assert {job.taken_by for _, job in found} <= {"a", "b"}
    events = rendered_events(app)
    assert sorted(e.task_id for e in events) == sorted(d.task_id for d, _ in found)
    for document, _ in found:
        assert document.pdf_sha256 == hashlib.sha256(document.pdf or b"").hexdigest()
    with app.extensions["session_factory"]() as session:
        assert session.scalar(select(func.count()).select_from(Event).filter_by(
            action="document_rendered")) == count  # fmt: skip


def test_the_worker_process_survives_a_sigkill(
    app: Flask, api: ApiClient, database_url: str, tmp_path: Path
) -> None:
    """The real command: SIGKILLed as soon as it has taken the job, started again, the document
    appears once its lease (1 s here) has expired."""
    sign(api)
    env = {
        **os.environ,
        "APP_DATABASE_URL": database_url,
        "APP_SECRET_KEY": "test-secret" * 4,
        "APP_INSTANCE_DIR": str(tmp_path),
    }
    command = [sys.executable, "-m", "flask", "--app", "service", "render-worker"]
    # the suite keeps both cores busy: at their default lower priority renderings would crawl
    command += ["--interval", "0.1", "--lease", "1", "--nice", "0"]

    def job() -> RenderJob:
        return rows(app)[0][1]

    first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while job().token is None and job().done_at is None:
            assert time.monotonic() < deadline, "the worker never took the job"
            time.sleep(0.02)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    taken = job()
    second = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while job().done_at is None:
            assert time.monotonic() < deadline, "the document never appeared"
            time.sleep(0.1)
    finally:
        second.terminate()
        second.wait()
    ((document, done),) = rows(app)
    assert document.state == "ready" and document.pdf is not None
    # killed before it stored: taken again after the lease; killed after: done at once
    assert done.attempts == (1 if taken.done_at is not None else 2)
    assert len(rendered_events(app)) == 1


def test_the_newest_signing_renders_first_and_a_job_taken_before_after_the_fresh_ones(
    app: Flask, api: ApiClient, clock: FakeClock
) -> None:
    """A backlog (the demo's documents at start) does not hold up the file of a signing made
    now; a job whose worker stopped comes after the fresh ones, the oldest of them first."""
    for _ in range(3):
        sign(api)
        clock.advance(minutes=1)
    (first, second, third) = [job.id for _, job in rows(app)]
    (taken,) = take_jobs(uows(app)(), 1, worker="stops:1")
    assert taken.job_id == third  # the newest
    clock.advance(seconds=LEASE.total_seconds() + 1)  # its lease expires: due again
    assert [t.job_id for t in take_jobs(uows(app)(), 3)] == [second, first, third]

"""Render jobs: a signed document's DOCX and PDF, made by a worker after the signing committed.

A job is taken in one short transaction (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so
any number of workers share the queue; SQLite's BEGIN IMMEDIATE admits one taker at a time),
which counts the attempt, gives it a fresh token and moves `run_after` to the end of a lease.
The files are then rendered outside any transaction and any lock, and stored in a second short
transaction together with a `document_rendered` event carrying both hashes, appended to the
instance's audit chain. Only the holder of the job's current token may store: a worker killed
mid-job leaves a job that another takes once the lease has expired, and should the first come
back late, its result is dropped. A failure is retried with backoff; after MAX_ATTEMPTS the job
and its document are marked failed, with the last error kept.
"""

from __future__ import annotations

import hashlib
import os
import socket
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pyhanko.sign.timestamps import TimeStamper
from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from service.db.models import Agency, Document, ProcessInstance, RenderJob, Task, User
from service.db.uow import UnitOfWork
from service.documents.docx import write_docx
from service.documents.keys import KeyStore, seal_label, user_label
from service.documents.layout import from_data
from service.documents.pades import Seal, sign, stamps_for
from service.documents.pdf import render_pdf, write_pdf
from service.operations.instances import append_event
from service.states import DocumentState

LEASE = timedelta(minutes=2)  # a document renders in about a second; a stuck worker, not
MAX_ATTEMPTS = 5
BACKOFF = tuple(timedelta(seconds=s) for s in (10, 30, 120, 600))  # after attempts 1, 2, 3, 4
STORE_TRIES = 3  # storing a result meets a concurrent writer of the instance: try again


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


@dataclass(frozen=True)
class Taken:
    """A job in a worker's hands: what to render, and the token that lets it store the result."""

    job_id: int
    document_id: int
    token: str
    content: dict[str, Any]
    signed_at: datetime
    signer: str  # the username whose signature the PDF carries, with its agency's
    agency: str  # the key label of the issuing agency's seal (keys.seal_label)


@dataclass(frozen=True)
class Files:
    docx: bytes
    pdf: bytes


@dataclass(frozen=True)
class RenderReport:
    rendered: int = 0
    failed: int = 0  # attempts that failed (retried later, or given up after MAX_ATTEMPTS)
    dropped: int = 0  # results another worker had stored first


def _due(now: datetime) -> Any:
    return (
        RenderJob.done_at.is_(None),
        RenderJob.failed_at.is_(None),
        RenderJob.run_after <= now,
    )


def any_due(uow: UnitOfWork) -> bool:
    """Whether a job is due: a reading unit's look, so that an idle worker takes no write lock."""
    with uow:
        return uow.session.scalar(select(RenderJob.id).where(*_due(uow.now())).limit(1)) is not None


def take_jobs(
    uow: UnitOfWork, limit: int, worker: str | None = None, lease: timedelta = LEASE
) -> list[Taken]:
    """Take up to `limit` due jobs for one lease: jobs never taken before first, the newest of
    them first (whoever signed last is the likeliest to be waiting for the file: a backlog,
    such as the demo's documents at start, does not hold up a signing made now), then those
    taken before and left unfinished (their worker stopped, or they failed), oldest first."""
    with uow:
        now, session = uow.now(), uow.session
        jobs = session.scalars(
            select(RenderJob)
            .where(*_due(now))
            .order_by(
                RenderJob.attempts > 0,
                case((RenderJob.attempts == 0, RenderJob.id), else_=-RenderJob.id).desc(),
            )
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        taken = []
        for job in jobs:
            if job.token is not None:  # taken before, never finished: its worker stopped
                job.last_error = f"the lease of {job.taken_by} expired before it finished"
            if job.attempts >= MAX_ATTEMPTS:
                _give_up(uow, job, now)
                continue
            job.attempts += 1
            job.token, job.taken_by = str(uuid.uuid4()), worker or worker_name()
            job.run_after = now + lease
            taken.append(job)
        contents = {
            row.id: (
                row.content,
                row.signed_at,
                row.username,
                seal_label(row.code, row.abbreviation, row.symbol),
            )
            for row in session.execute(
                select(
                    Document.id,
                    Document.content,
                    Document.signed_at,
                    Document.symbol,
                    User.username,
                    Agency.code,
                    Agency.abbreviation,
                )
                .join(User, User.id == Document.signed_by_id)
                .join(Agency, Agency.id == Document.agency_id)
                .where(Document.id.in_([job.document_id for job in taken]))
            )
        }
        result = [
            Taken(job.id, job.document_id, str(job.token), *contents[job.document_id])
            for job in taken
        ]
        uow.commit()
        return result


def render(
    taken: Taken,
    keys: KeyStore | None = None,
    now: datetime | None = None,
    tsa: TimeStamper | None = None,
) -> Files:
    """The files, from the frozen content alone: no database, no lock. With keys, the PDF
    carries the signer's and the issuing agency's digital signatures (those whose keys the
    store holds), made at `now`, each timestamped by `tsa` when given."""
    document = from_data(taken.content)
    docx = write_docx(document, created=taken.signed_at)
    if keys is None:
        return Files(docx, write_pdf(document))
    labels = {"signer": user_label(taken.signer), "agency": taken.agency}
    with keys.signers(labels.values()) as found:
        when = now or datetime.now(UTC)
        stamps = [
            stamp
            for stamp in stamps_for(document.signature.name, document.issuer, when)
            if labels[stamp.field] in found
        ]
        pdf, boxes = render_pdf(document, stamps)
        seals = [Seal(s.field, found[labels[s.field]], boxes[s.field]) for s in stamps]
        return Files(docx, sign(pdf, seals, tsa) if seals else pdf)


def store(new_uow: Callable[[], UnitOfWork], taken: Taken, files: Files) -> bool:
    """Store the files, their hashes and the `document_rendered` event, if the job is still
    this worker's; False when another worker's result came first."""
    for attempt in range(STORE_TRIES):
        try:
            return _store(new_uow(), taken, files)
        except (StaleDataError, IntegrityError):
            if attempt == STORE_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def _store(uow: UnitOfWork, taken: Taken, files: Files) -> bool:
    with uow:
        now, session = uow.now(), uow.session
        job = session.get(RenderJob, taken.job_id, with_for_update=True)
        if job is None or job.token != taken.token or job.done_at or job.failed_at:
            return False
        document = session.get_one(Document, job.document_id)
        # the instance row is locked before its head moves: concurrent renderers of one
        # instance's documents wait for each other instead of failing the version check
        instance = session.get_one(ProcessInstance, document.instance_id, with_for_update=True)
        document.docx, document.pdf = files.docx, files.pdf
        document.docx_sha256 = hashlib.sha256(files.docx).hexdigest()
        document.pdf_sha256 = hashlib.sha256(files.pdf).hexdigest()
        document.state, document.rendered_at = DocumentState.READY, now
        job.done_at, job.token = now, None
        append_event(
            session,
            instance,
            "document_rendered",
            None,
            now,
            task=None if document.task_id is None else session.get_one(Task, document.task_id),
            data={
                "kind": document.kind,
                "number": document.number,
                "symbol": document.symbol,
                "year": document.year,
                "docx_sha256": document.docx_sha256,
                "pdf_sha256": document.pdf_sha256,
            },
        )
        uow.commit()
        return True


def fail(uow: UnitOfWork, taken: Taken, error: str) -> None:
    """Record a failed attempt: retried after a backoff, or given up after MAX_ATTEMPTS."""
    with uow:
        now = uow.now()
        job = uow.session.get(RenderJob, taken.job_id, with_for_update=True)
        if job is None or job.token != taken.token or job.done_at or job.failed_at:
            return
        job.token, job.last_error = None, error[-4000:]
        if job.attempts >= MAX_ATTEMPTS:
            _give_up(uow, job, now)
        else:
            job.run_after = now + BACKOFF[min(job.attempts, len(BACKOFF)) - 1]
        uow.commit()


def _give_up(uow: UnitOfWork, job: RenderJob, now: datetime) -> None:
    """The document's files will not be made: it is marked failed, and the log says so."""
    job.failed_at, job.token = now, None
    document = uow.session.get_one(Document, job.document_id)
    document.state = DocumentState.FAILED
    uow.record(
        "document_failed",
        None,
        instance=uow.session.get_one(ProcessInstance, document.instance_id),
        data={
            "kind": document.kind,
            "number": document.number,
            "error": (job.last_error or "")[-500:],
        },
    )


def run_job(
    new_uow: Callable[[], UnitOfWork],
    taken: Taken,
    keys: KeyStore | None = None,
    tsa: TimeStamper | None = None,
    nice: int = 0,
) -> RenderReport:
    """Render one taken job and store it, or record why it failed (a time-stamping authority
    that does not answer too: the job is retried later). With `nice`, the rendering runs in a
    thread of that much lower CPU priority (see `_rendered`)."""
    try:
        files = _rendered(nice, taken, keys, tsa)
    except Exception:  # any error of the layout or the libraries: retried later
        fail(new_uow(), taken, traceback.format_exc())
        return RenderReport(failed=1)
    if store(new_uow, taken, files):
        return RenderReport(rendered=1)
    return RenderReport(dropped=1)


def _rendered(nice: int, taken: Taken, keys: KeyStore | None, tsa: TimeStamper | None) -> Files:
    """`render`, in a thread `nice` steps lower in CPU priority when `nice` is positive.

    A document costs about half a second of CPU and nobody waits on it, while a request has
    someone waiting: the rendering yields the CPU to the web server's workers. Only the
    rendering: taking and storing a job hold the database's write turn (on SQLite, for every
    process), and a low-priority holder would keep the requests waiting for it. Linux gives
    each thread its own priority (nice(2) applies to the calling thread), so the transactions,
    in the calling thread, keep theirs.
    """
    if nice <= 0:
        return render(taken, keys, tsa=tsa)

    def lowered() -> Files:
        os.nice(nice)
        return render(taken, keys, tsa=tsa)

    with ThreadPoolExecutor(1, thread_name_prefix="render") as pool:
        return pool.submit(lowered).result()


def render_pending(
    new_uow: Callable[[], UnitOfWork],
    limit: int | None = None,
    *,
    batch: int = 4,
    worker: str | None = None,
    lease: timedelta = LEASE,
    keys: KeyStore | None = None,
    tsa: TimeStamper | None = None,
    nice: int = 0,
) -> RenderReport:
    """Render due jobs, `batch` taken at a time, until none is due or `limit` were taken;
    each rendering `nice` steps lower in CPU priority (`_rendered`).

    What the worker processes run in a loop; tests call it to run pending jobs in process.
    """
    rendered = failed = dropped = 0
    while limit is None or rendered + failed + dropped < limit:
        size = batch if limit is None else min(batch, limit - rendered - failed - dropped)
        taken = take_jobs(new_uow(), size, worker, lease)
        if not taken:
            break
        for job in taken:
            report = run_job(new_uow, job, keys, tsa, nice)
            rendered += report.rendered
            failed += report.failed
            dropped += report.dropped
    return RenderReport(rendered, failed, dropped)

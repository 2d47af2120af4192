"""Fan-out jobs: a plan signed to many units is issued to them by the worker, in batches.

The signing commits the plan's number, document, decision and report rounds with a job that
lists the units (service.operations.cascade.issue_plan) and answers. A worker then starts the
units' instances, `BATCH` per transaction: it takes the oldest due job with `SELECT … FOR
UPDATE SKIP LOCKED` (SQLite's BEGIN IMMEDIATE admits one writer at a time), reads how many
units are issued, inserts the next batch's instances, first tasks and `process_started` events
and moves the count, all in that one transaction. A worker killed mid-batch leaves nothing of
it and its lock dies with its connection; the next worker goes on from the stored count, so no
unit is started twice or missed, and two workers never hold one job at once. A batch that
fails is rolled back and the job retried after `BACKOFF`, its error kept.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from service.db.models import Agency, FanoutJob, ProcessInstance
from service.db.uow import UnitOfWork
from service.operations.cascade import start_units
from service.states import ProcessStatus

BATCH = 500  # units per transaction: ~0.1 s of inserts, a few MB at most
BACKOFF = timedelta(seconds=30)


@dataclass(frozen=True)
class Signer:
    """Who signed the plan, as the units' `process_started` events name them."""

    user_id: int | None
    agency_id: int | None


@dataclass(frozen=True)
class FanoutReport:
    started: int = 0  # units whose instance was started
    batches: int = 0  # transactions that committed
    failed: int = 0  # batches rolled back by an error (the job is retried after BACKOFF)


class _BatchFailed(Exception):
    def __init__(self, job_id: int, error: str) -> None:
        super().__init__(error)
        self.job_id, self.error = job_id, error


def _due(now: Any) -> Any:
    return FanoutJob.done_at.is_(None), FanoutJob.run_after <= now


def any_due(uow: UnitOfWork) -> bool:
    """Whether a fan-out job is due: a reading unit's look, so an idle worker takes no lock."""
    with uow:
        found = uow.session.scalar(select(FanoutJob.id).where(*_due(uow.now())).limit(1))
        return found is not None


def issue_batch(uow: UnitOfWork, size: int = BATCH) -> int | None:
    """Start the next `size` units of the oldest due job in one transaction; how many were
    started (None: no job was due, or each due one is in another worker's hands)."""
    with uow:
        now, session = uow.now(), uow.session
        job = session.scalars(
            select(FanoutJob)
            .where(*_due(now))
            .order_by(FanoutJob.run_after, FanoutJob.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if job is None:
            return None
        job_id = job.id
        try:
            started = _start_next(uow, job, size)
        except Exception as err:  # any error of the batch: it is rolled back, the job retried
            raise _BatchFailed(job_id, traceback.format_exc()) from err
        uow.commit()
        return started


def _start_next(uow: UnitOfWork, job: FanoutJob, size: int) -> int:
    session, now = uow.session, uow.now()
    plan = session.get_one(ProcessInstance, job.instance_id)
    codes = job.units[job.issued : job.issued + size]
    if plan.status == ProcessStatus.CANCELLED:  # nobody is to act on a cancelled plan
        left = len(job.units) - job.issued
        job.done_at, job.last_error = now, f"the plan was cancelled; {left} units left unissued"
        return 0
    by_code = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    units = [by_code[code] for code in codes]
    start_units(session, plan, units, Signer(job.actor_id, job.actor_agency_id), now)
    job.issued += len(codes)
    if job.issued >= len(job.units):
        job.done_at = now
    return len(codes)


def _fail(uow: UnitOfWork, job_id: int, error: str) -> None:
    with uow:
        job = uow.session.get_one(FanoutJob, job_id, with_for_update=True)
        job.attempts += 1
        job.last_error, job.run_after = error[-4000:], uow.now() + BACKOFF
        uow.commit()


def issue_pending(
    new_uow: Callable[[], UnitOfWork], limit: int | None = None, *, size: int = BATCH
) -> FanoutReport:
    """Run batches until no job is due or `limit` batches have committed.

    What the worker process runs in its loop; tests call it to issue in process.
    """
    started = batches = failed = 0
    while limit is None or batches < limit:
        try:
            count = issue_batch(new_uow(), size)
        except _BatchFailed as err:
            _fail(new_uow(), err.job_id, err.error)
            failed += 1
            continue
        if count is None:
            break
        started, batches = started + count, batches + 1
    return FanoutReport(started, batches, failed)

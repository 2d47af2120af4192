"""Keeping the supervisors' dashboard, off the request path: the scheduler recomputes the
figures of each campaign whose tree changed since its last refresh and stores them
(service.db.models.dashboard), so a view reads rows instead of scanning the campaign's tasks.

A campaign here is a plan of no parent, or one with units below it (a unit alone is small: its
views stay live). Its fingerprint is the Vietnam day and the count and version sum of the
instances of its tree: every completion, start, timer and cascade saves an instance (a new
version), and a new day moves waits and missing reports. Deadline states moved by the scheduler
change tasks alone, so the tick forces a refresh when it moved any. The figures are computed in
a read-only transaction and written in a short one; the computation itself (`compute`, from
service.queries.dashboard, above this layer) is handed in.

A refresh changes no business state (the figures are derived, and equal the live queries as of
`as_of`), so it records no audit event. Two schedulers may refresh at once: on PostgreSQL each
campaign's write takes an advisory lock (a busy one: the other is writing it, skip); on both
databases a write whose fingerprint is already stored is skipped, and a rewrite is idempotent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, insert, select, text

from service.db.models import DashboardFigure, DashboardRefresh, ProcessInstance
from service.db.uow import UnitOfWork
from workflows.calendar import local_day

Compute = Callable[[UnitOfWork, int], list[tuple[str, int, dict[str, Any]]]]
REFRESH_LOCK = 0x44415348  # with the campaign's id: any constant unique to this job


def stale_campaigns(uow: UnitOfWork, *, force: bool = False) -> list[tuple[int, str]]:
    """The campaigns whose kept figures are missing or older than their tree, with the
    fingerprint they have now; every campaign with `force`. One read of every instance's id,
    parent and version (no task row)."""
    with uow:
        instances = uow.session.execute(
            select(ProcessInstance.id, ProcessInstance.parent_id, ProcessInstance.version)
        ).all()
        kept = dict(
            uow.session.execute(
                select(DashboardRefresh.campaign_id, DashboardRefresh.fingerprint)
            ).all()  # a Result has keys(): dict() would read it as a mapping
        )
        day = local_day(uow.now()).isoformat()
    children: dict[int | None, list[int]] = defaultdict(list)
    version = {}
    for id_, parent, v in instances:
        children[parent].append(id_)
        version[id_] = v
    tree: dict[int, tuple[int, int]] = {}  # id → (instances, version sum) of its subtree
    for root in children[None]:
        stack, order = [root], []
        while stack:  # iterative: a tree may be deep
            node = stack.pop()
            order.append(node)
            stack.extend(children.get(node, ()))
        for node in reversed(order):  # children before parents
            below = [tree[c] for c in children.get(node, ())]
            tree[node] = (1 + sum(n for n, _ in below), version[node] + sum(v for _, v in below))
    stale = []
    roots = set(children[None])
    for id_, (count, versions) in sorted(tree.items()):
        if id_ not in children and id_ not in roots:
            continue
        fingerprint = f"{day}:{count}:{versions}"
        if force or kept.get(id_) != fingerprint:
            stale.append((id_, fingerprint))
    return stale


def refresh_figures(
    new_uow: Callable[[], UnitOfWork], compute: Compute, *, force: bool = False
) -> int:
    """Recompute and store the figures of every stale campaign (all with `force`): each in a
    read-only transaction, then written in its own short one. Returns how many were written."""
    reader = new_uow().reader
    written = 0
    for campaign_id, fingerprint in stale_campaigns(reader(), force=force):
        with reader() as read:
            as_of = read.now()
            rows = compute(read, campaign_id)
        with new_uow() as uow:
            if not _claim(uow, campaign_id, fingerprint, force):
                continue
            uow.session.execute(
                delete(DashboardFigure).where(DashboardFigure.campaign_id == campaign_id)
            )
            uow.session.merge(
                DashboardRefresh(campaign_id=campaign_id, as_of=as_of, fingerprint=fingerprint)
            )
            uow.session.flush()  # the refresh row the figures refer to
            if rows:
                uow.session.execute(
                    insert(DashboardFigure),
                    [
                        {"campaign_id": campaign_id, "view": view, "position": p, "row": row}
                        for view, p, row in rows
                    ],
                )
            uow.commit()
            written += 1
    return written


def _claim(uow: UnitOfWork, campaign_id: int, fingerprint: str, force: bool) -> bool:
    """Whether this transaction writes the campaign's figures: not while another scheduler
    writes them (PostgreSQL), nor again once they are as new as these."""
    if uow.session.get_bind().dialect.name == "postgresql" and not uow.session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key, :campaign)"),
        {"key": REFRESH_LOCK, "campaign": campaign_id},
    ):
        return False
    stored = uow.session.scalar(
        select(DashboardRefresh.fingerprint).where(DashboardRefresh.campaign_id == campaign_id)
    )
    return force or stored != fingerprint

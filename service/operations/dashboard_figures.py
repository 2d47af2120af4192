"""Keeping the supervisors' dashboard, off the request path: the scheduler recounts what
changed in each campaign since its last refresh and stores the figures
(service.db.models.dashboard), so a view reads rows instead of scanning the campaign's tasks.

A campaign here is a plan of no parent, or one with units below it (a unit alone is small: its
views stay live). Its fingerprint is the Vietnam day and the count and version sum of the
instances of its tree: every completion, start, timer and cascade saves an instance (a new
version), and a new day moves waits and missing reports. Deadline states moved by the scheduler
change tasks alone: the tick hands in the instances whose tasks they moved (`touched`).

Each instance's share of the figures is kept with the version it was counted at
(`DashboardPart`). A refresh on the same day, over the same instances, recounts only those whose
version moved (or that were touched) and writes the difference: the steps', days' and summary's
few rows, the agencies and units concerned (a unit and the branch above it), in one short
transaction. A new day, a new or moved instance, `force` (the repair), or a campaign never
refreshed recompute it whole. The computation itself (`compute`, from service.queries.
dashboard_parts, above this layer) is handed in: it reads in a read-only transaction and returns
a `Patch`, written here.

A refresh changes no business state (the figures are derived, and equal the live queries as of
`as_of`), so it records no audit event. Two schedulers may refresh at once: on PostgreSQL each
campaign's write takes an advisory lock (a busy one: the other is writing it, skip); on both
databases a patch is written only onto the figures it was computed from (the stored
fingerprint and `as_of` it read), else skipped: a difference applied twice would count twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, text

from service.db.models import (
    DashboardAgency,
    DashboardFigure,
    DashboardPart,
    DashboardRefresh,
    ProcessInstance,
)
from service.db.uow import UnitOfWork
from workflows.calendar import local_day

REFRESH_LOCK = 0x44415348  # with the campaign's id: any constant unique to this job
WHOLE_SHARE = 4  # more than a quarter of a campaign changed: recount it whole (cheaper)


@dataclass
class Patch:
    """What a refresh writes for a campaign. `whole`: every row (the old ones go); else the
    rows of `replaced` views go, `figures`, `parts` and `agencies` are written over theirs
    (by key) and the `dropped` ones go."""

    whole: bool
    figures: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    replaced: tuple[str, ...] = ()
    dropped: list[tuple[str, int]] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    agencies: list[dict[str, Any]] = field(default_factory=list)
    agencies_dropped: list[int] = field(default_factory=list)


# (a read unit of work, the campaign, the instances to recount or None: all) → the patch
Compute = Callable[[UnitOfWork, int, set[int] | None], Patch]


@dataclass(frozen=True)
class _Tree:
    fingerprint: str
    members: dict[int, tuple[int | None, int]]  # instance → (parent, version)


def _trees(uow: UnitOfWork) -> tuple[str, dict[int, _Tree]]:
    """Every campaign's instances and fingerprint today; one read of every instance's id,
    parent and version (no task row)."""
    with uow:
        instances = uow.session.execute(
            select(ProcessInstance.id, ProcessInstance.parent_id, ProcessInstance.version)
        ).all()
        day = local_day(uow.now()).isoformat()
    children: dict[int | None, list[int]] = defaultdict(list)
    row = {}
    for id_, parent, v in instances:
        children[parent].append(id_)
        row[id_] = (parent, v)
    trees = {}
    roots = children[None]
    campaigns = {c for c in children if c is not None} | set(roots)
    for campaign in sorted(c for c in campaigns if c in row):
        members, stack = {}, [campaign]
        while stack:  # iterative: a tree may be deep
            node = stack.pop()
            parent, v = row[node]
            members[node] = (None if node == campaign else parent, v)
            stack.extend(children.get(node, ()))
        versions = sum(v for _, v in members.values())
        trees[campaign] = _Tree(f"{day}:{len(members)}:{versions}", members)
    return day, trees


def stale_campaigns(
    uow: UnitOfWork, *, force: bool = False, touched: Collection[int] = ()
) -> list[tuple[int, str]]:
    """The campaigns whose kept figures are missing or older than their tree (or hold an
    instance in `touched`), with the fingerprint they have now; every campaign with `force`."""
    _, trees = _trees(uow)
    return [(c, trees[c].fingerprint) for c in _stale(uow, trees, force, set(touched))]


def _stale(uow: UnitOfWork, trees: dict[int, _Tree], force: bool, touched: set[int]) -> list[int]:
    with uow:
        kept = dict(
            uow.session.execute(
                select(DashboardRefresh.campaign_id, DashboardRefresh.fingerprint)
            ).all()  # a Result has keys(): dict() would read it as a mapping
        )
    return [
        c
        for c, tree in trees.items()
        if force or kept.get(c) != tree.fingerprint or not touched.isdisjoint(tree.members)
    ]


def refresh_figures(
    new_uow: Callable[[], UnitOfWork],
    compute: Compute,
    *,
    force: bool = False,
    touched: Collection[int] = (),
) -> int:
    """Refresh every stale campaign (all, whole, with `force`): each computed in a read-only
    transaction, then written in its own short one. Returns how many were written."""
    reader = new_uow().reader
    day, trees = _trees(reader())
    moved = set(touched)
    written = 0
    for campaign_id in _stale(reader(), trees, force, moved):
        tree = trees[campaign_id]
        with reader() as read:
            base = read.session.execute(
                select(DashboardRefresh.fingerprint, DashboardRefresh.as_of).where(
                    DashboardRefresh.campaign_id == campaign_id
                )
            ).one_or_none()
            changed = None if force else _changed(read, campaign_id, day, base, tree, moved)
            as_of = read.now()
            patch = compute(read, campaign_id, changed)
        with new_uow() as uow:
            if not _claim(uow, campaign_id, None if base is None else (base[0], base[1]), force):
                continue
            refreshed = DashboardRefresh(
                campaign_id=campaign_id, as_of=as_of, fingerprint=tree.fingerprint
            )
            _write(uow, campaign_id, patch, refreshed)
            uow.commit()
            written += 1
    return written


def _changed(
    read: UnitOfWork,
    campaign_id: int,
    day: str,
    base: Any,
    tree: _Tree,
    touched: set[int],
) -> set[int] | None:
    """The instances to recount, or None: the campaign is recounted whole (never refreshed,
    a new day, an instance started or moved, or much of it changed)."""
    if base is None or not base.fingerprint.startswith(f"{day}:"):
        return None
    counted = read.session.scalar(
        select(func.count()).where(DashboardPart.campaign_id == campaign_id)
    )
    if counted != len(tree.members):
        return None  # an instance started (or left): positions and branches change
    # the instances saved since they were counted: the database compares, a few rows come back
    moved = read.session.execute(
        select(DashboardPart.instance_id, DashboardPart.parent_id, ProcessInstance.parent_id)
        .join(ProcessInstance, ProcessInstance.id == DashboardPart.instance_id)
        .where(
            DashboardPart.campaign_id == campaign_id,
            ProcessInstance.version != DashboardPart.version,
        )
    ).all()
    if any(i not in tree.members or (was is not None and was != now) for i, was, now in moved):
        return None  # the tree's shape moved: positions and branches change
    changed = {i for i, _, _ in moved}
    changed |= touched & tree.members.keys()
    return None if len(changed) * WHOLE_SHARE > len(tree.members) else changed


def _write(uow: UnitOfWork, campaign_id: int, patch: Patch, refreshed: DashboardRefresh) -> None:
    session, mine = uow.session, DashboardFigure.campaign_id == campaign_id
    if patch.whole:
        for table in (DashboardFigure, DashboardPart, DashboardAgency):
            session.execute(delete(table).where(table.campaign_id == campaign_id))
    else:
        if patch.replaced:
            session.execute(
                delete(DashboardFigure).where(mine, DashboardFigure.view.in_(patch.replaced))
            )
        gone: dict[str, list[int]] = defaultdict(list)  # per view: an index range each
        for view, position in patch.dropped + [(v, p) for v, p, _ in patch.figures]:
            if view not in patch.replaced:
                gone[view].append(position)
        for view, positions in gone.items():
            for chunk in _chunks(positions):
                session.execute(
                    delete(DashboardFigure).where(
                        mine, DashboardFigure.view == view, DashboardFigure.position.in_(chunk)
                    )
                )
        ids = [p["instance_id"] for p in patch.parts]
        for chunk in _chunks(ids):
            session.execute(
                delete(DashboardPart).where(
                    DashboardPart.campaign_id == campaign_id, DashboardPart.instance_id.in_(chunk)
                )
            )
        agencies = [a["agency_id"] for a in patch.agencies] + patch.agencies_dropped
        for chunk in _chunks(agencies):
            session.execute(
                delete(DashboardAgency).where(
                    DashboardAgency.campaign_id == campaign_id, DashboardAgency.agency_id.in_(chunk)
                )
            )
    session.merge(refreshed)
    session.flush()  # the refresh row the figures refer to
    rows = [
        {"campaign_id": campaign_id, "view": view, "position": p, "row": row}
        for view, p, row in patch.figures
    ]
    for table, values in (
        (DashboardFigure, rows),
        (DashboardPart, patch.parts),
        (DashboardAgency, patch.agencies),
    ):
        for chunk in _chunks(values, 5_000):
            session.execute(insert(table), [{"campaign_id": campaign_id} | v for v in chunk])


def _chunks(values: list[Any], size: int = 500) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def _claim(
    uow: UnitOfWork, campaign_id: int, base: tuple[str, datetime] | None, force: bool
) -> bool:
    """Whether this transaction writes the campaign's figures: not while another scheduler
    writes them (PostgreSQL), nor once another has written since they were read."""
    if uow.session.get_bind().dialect.name == "postgresql" and not uow.session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key, :campaign)"),
        {"key": REFRESH_LOCK, "campaign": campaign_id},
    ):
        return False
    stored = uow.session.execute(
        select(DashboardRefresh.fingerprint, DashboardRefresh.as_of).where(
            DashboardRefresh.campaign_id == campaign_id
        )
    ).one_or_none()
    return force or (None if stored is None else (stored[0], stored[1])) == base

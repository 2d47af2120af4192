"""Issuing a signed plan to its units, and their reports flowing back up, round by round.

Each addressed unit gets its own instance of the same diagram, bound to the agencies of its own
level and linked to the plan that addressed it: a completion never loads more than one small
workflow, however many units a plan reaches. A report round R is a report step (property
`report_round` = R) preceded by a wait for the message `reports_R`, with a timer on the
variable `deadline_R`: the plan goes on when its last unit has reported in that round, or at
the deadline, whichever comes first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Select, and_, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from service.db.audit_log import Acting
from service.db.batch import Batch
from service.db.models import (
    Agency,
    FanoutJob,
    ProcessInstance,
    ReportRound,
    Task,
)
from service.db.tables import EVENTS, INSTANCES, REPORT_ROUNDS, TASKS
from service.errors import Conflict
from service.operations.actors import Actor
from service.operations.agency_cache import agencies_by_code, role_bindings
from service.operations.deadlines import schedule
from service.operations.definitions import engine_definition
from service.operations.instances import (
    append_event,
    open_task_ids,
    open_tasks_of,
    save_runtime,
    write_instance,
)
from service.permissions import HEAD_ROLE, Role
from service.states import DeadlineState, ProcessStatus
from workflows.audit import GENESIS, event_hash
from workflows.calendar import due_before
from workflows.runtime import Copies, Runtime
from workflows.specs import Definition
from workflows.text import fold

# Every level has someone to draft and someone to sign; a unit with no bindings of its own
# (a school, an enterprise) fills both lanes itself.
REQUIRED_ROLES = (Role.STANDING_BODY.value, HEAD_ROLE)
# Which deadline of a plan holds its units to each report round, and to their own plan.
ROUND_DEADLINES = {
    "result": "unit_report",
    "half_year": "half_year_report",
    "annual": "annual_report",
}
PLAN_DEADLINE = "unit_plan"
# A plan signed to more units than this is issued to them by the worker, in batches
# (service.operations.fanout): the signing answers at once. Settings.fanout_inline_max overrides.
INLINE_MAX = 200
# Units whose first tasks and events go with the signing's batch (service.db.batch) when it
# issues the plan: its statement grows with the rows, and each count is built and compiled
# once per worker (200 units: 0.1 s), so more go as statements of their own.
BATCHED_UNITS = 10
# A unit process whose agency ended in a reorganisation: its heir carries on (succession).
HANDED_OVER = ProcessStatus.HANDED_OVER


@dataclass(frozen=True)
class UnitReport:
    """A direct unit of a plan and what it reported in a round (None: not yet)."""

    process_id: int
    unit: str
    report: dict[str, Any] | None
    late: bool


def unit_reports(
    session: Session, instance_id: int, round_: str, plan: Mapping[str, Any]
) -> list[UnitReport]:
    """The plan's direct units in the order addressed, with their reports for `round_`: each
    already holds its own units' figures, so nothing below them is added again. `plan`: its
    document; one addressed to no unit (a commune's, a department's) has none, unread."""
    if not plan.get("addressed_units"):
        return []
    rows = session.connection().execute(_UNITS, {"parent": instance_id, "round": round_})
    return _reported((i, name, reports.get(round_), *rest) for i, name, reports, *rest in rows)


def unit_reports_column(dialect: str, plan: Any, round_: Any) -> Any:
    """What `unit_reports` reads for the plan whose id is `plan` and the round `round_`
    (columns of the enclosing statement), as one JSON array of rows in no order, for
    `unit_reports_from`: a task view reads its units with its task, a round trip fewer."""
    row = (_UNIT.c.id, _UNIT_AGENCY.c.name, _UNIT.c.reports.op("->")(round_), _UNIT.c.status)
    if dialect == "postgresql":
        packed = func.json_agg(func.json_build_array(*row, _late(round_)), type_=JSON)
    else:  # SQLite: `->` hands json_array the report as JSON, not as its text
        packed = func.json_group_array(func.json_array(*row, _late(round_)), type_=JSON)
    return _units(plan, packed).scalar_subquery().label("units")


def unit_reports_from(value: list[list[Any]] | None, plan: Mapping[str, Any]) -> list[UnitReport]:
    """`unit_reports_column`'s value as `unit_reports` reads it (NULL when there is none, on
    PostgreSQL)."""
    if not plan.get("addressed_units"):
        return []
    return _reported(sorted(value or [], key=lambda row: row[0]))


def _reported(rows: Iterable[Sequence[Any]]) -> list[UnitReport]:
    """The units of `rows` (id, name, report for the round, status, late) that report."""
    return [
        UnitReport(i, name, report, bool(late))
        for i, name, report, status, late in rows
        # a unit that handed over before reporting: its heir stands for it
        if not (status == HANDED_OVER and report is None)
    ]


# a plan's units, aliased: a task view reads them beside its own task and plan
_UNIT = ProcessInstance.__table__.alias("unit")
_UNIT_AGENCY = Agency.__table__.alias("unit_agency")
_UNIT_TASK = Task.__table__.alias("unit_task")


def _units(plan: Any, *columns: Any) -> Select[Any]:
    """`columns` of the units of the plan whose id is `plan`."""
    return (
        select(*columns)
        .select_from(_UNIT)
        .join(_UNIT_AGENCY, _UNIT_AGENCY.c.id == _UNIT.c.jurisdiction_id)
        .where(_UNIT.c.parent_id == plan)
    )


def _late(round_: Any) -> Any:
    """Whether the unit's report for the round came in after its deadline. `round_` may be a
    column two levels up (the task of a view): SQLAlchemy correlates only the enclosing
    statement by itself, and would read that column's table anew, every task of every plan."""
    return (
        exists()
        .where(
            _UNIT_TASK.c.instance_id == _UNIT.c.id,
            _UNIT_TASK.c.report_round == round_,
            _UNIT_TASK.c.deadline_state == DeadlineState.DONE_LATE,
        )
        .correlate_except(_UNIT_TASK)
    )


# built once (statements are immutable)
_UNITS = _units(
    bindparam("parent"),
    _UNIT.c.id,
    _UNIT_AGENCY.c.name,
    _UNIT.c.reports,
    _UNIT.c.status,
    _late(bindparam("round")).label("late"),
).order_by(_UNIT.c.id)


def message(round_: str) -> str:
    return f"reports_{round_}"


def engine_deadlines(instance: ProcessInstance, document: dict[str, Any]) -> dict[str, str]:
    """`deadline_<round>` for the diagram's timers: when this plan stops waiting for a round.

    The plan's own deadline for its units, else the one its parent set for it, else the day
    after the plan's window.
    """
    own = {d["kind"]: d["due"] for d in document.get("deadlines", []) if d.get("kind")}
    fallback = document.get("window", {}).get("end")
    values = {}
    for round_, kind in ROUND_DEADLINES.items():
        if kind in own:
            due = due_before(date.fromisoformat(own[kind]))
        elif round_ in instance.deadlines:
            due = due_before(date.fromisoformat(instance.deadlines[round_]))
        elif fallback:
            due = due_before(date.fromisoformat(fallback) + timedelta(days=1))
        else:
            continue
        values[f"deadline_{round_}"] = due.isoformat()
    return values


def unit_deadlines(document: dict[str, Any]) -> dict[str, str]:
    """The dates a plan holds its units to: "plan" for their own plan, then each round."""
    kinds = {PLAN_DEADLINE: "plan"} | {kind: r for r, kind in ROUND_DEADLINES.items()}
    return {
        kinds[d["kind"]]: d["due"] for d in document.get("deadlines", []) if d.get("kind") in kinds
    }


def addressed_agencies(
    session: Session, instance: ProcessInstance, inline_max: int = INLINE_MAX
) -> dict[str, Agency] | None:
    """The units a plan is addressed to, by code, read once for its signing: its document names
    them and `issue_plan` starts them. None beyond `inline_max` units: the fan-out job reads
    them in batches (and the document only their names)."""
    codes: list[str] = instance.document.get("addressed_units", [])
    if len(codes) > inline_max:
        return None
    if not codes:
        return {}
    return agencies_by_code(session, codes)


def issue_plan(
    session: Session,
    instance: ProcessInstance,
    actor: Actor,
    now: datetime,
    units: Mapping[str, Agency] | None,
    batch: Batch,
) -> int:
    """Start one child instance per addressed unit and open the plan's report rounds (their
    rows go with the signing's `batch`); how many units it goes to (started now, or queued for
    the fan-out job).

    `units` are `addressed_agencies`; None: a fan-out job takes the units instead, for the
    worker to start in batches. The rounds count every unit from now, so none closes before the
    last starts.
    """
    codes: list[str] = instance.document.get("addressed_units", [])
    if units is None:
        session.add(
            FanoutJob(
                instance_id=instance.id,
                units=codes,
                actor_id=actor.user_id,
                actor_agency_id=actor.agency_id,
                created_at=now,
                run_after=now,
            )
        )
        count = len(codes)
    else:
        addressed = [units[code] for code in codes]
        count = len(start_units(session, instance, addressed, actor, now, batch))
    rounds = [
        {"instance_id": instance.id, "round": r, "open": count}
        for r in engine_definition(instance.definition).report_rounds
    ]
    # read back by later completions only (release_finished_rounds is given the counts here)
    batch.add(_NEW_ROUNDS, rounds)
    instance.issued_at = now
    append_event(
        session,
        instance,
        "plan_issued",
        actor,
        now,
        role=HEAD_ROLE,
        data={"units": codes, "deadlines": unit_deadlines(instance.document)},
    )
    return count


def start_units(
    session: Session,
    instance: ProcessInstance,
    units: list[Agency],
    actor: Acting,
    now: datetime,
    batch: Batch | None = None,
) -> list[int]:
    """Start the plan's instance for each unit, bound to the agencies of the unit's level
    (at issue, and for a unit that takes over from one that ended: succession); their ids.
    With `batch`, their first tasks and events go with it."""
    if not units:  # a plan addressed to nobody (a commune's, a department's): nothing to read
        return []
    definition = engine_definition(instance.definition)
    filled = role_bindings(session, [unit.id for unit in units], definition.roles)
    deadlines = unit_deadlines(instance.document)
    children = [
        ({role: unit.id for role in REQUIRED_ROLES} | filled[unit.id], unit) for unit in units
    ]
    return _start_children(session, instance, definition, children, actor, now, deadlines, batch)


@dataclass(frozen=True)
class _Shape:
    """A fresh unit instance of one set of bound roles: its dumped state and first tasks."""

    copies: Copies
    tasks: list[dict[str, Any]]  # the task rows' columns that every such unit shares
    next_timer_at: datetime | None


def _shape(
    definition: Definition, roles: list[str], deadlines: dict[str, str], now: datetime
) -> _Shape:
    runtime = Runtime.start(definition, roles, now)
    ready = runtime.ready_tasks()
    tasks = []
    for task in ready:
        if task.lane not in roles:
            raise Conflict(
                "role_unbound", f"No agency fills the role “{task.lane}” here.", role=task.lane
            )
        row = Task(form=task.form, report_round=task.report_round)  # never added: its due time
        schedule(row, deadlines, now)
        tasks.append(
            {
                "step": task.step,
                "name": task.name,
                "form": task.form,
                "report_round": task.report_round,
                "role": task.lane,
                "state": "open",
                "created_at": now,
                "due_at": row.due_at,
                "due_soon_at": row.due_soon_at,
                "deadline_state": row.deadline_state,
                "version": 1,
            }
        )
    return _Shape(Copies(runtime.dump(), ready), tasks, runtime.next_timer())


def _start_children(
    session: Session,
    instance: ProcessInstance,
    definition: Definition,
    children: list[tuple[dict[str, int], Agency]],
    actor: Acting,
    now: datetime,
    deadlines: dict[str, str],
    batch: Batch | None,
) -> list[int]:
    """Insert the units' instances, first tasks and `process_started` events in bulk; their ids.
    With `batch`, the tasks and events go with it.

    Units bound to the same roles start alike, so the engine starts once per set of roles and
    each unit gets a copy with fresh task ids; rows go in as multi-row INSERTs. What each unit
    gets is what `Runtime.start`, `save_runtime` and `append_event` would give it one by one.
    """
    shapes: dict[tuple[str, ...], _Shape] = {}
    rows, copies = [], []
    for bindings, unit in children:
        roles = tuple(sorted(bindings))
        if roles not in shapes:
            shapes[roles] = _shape(definition, list(roles), deadlines, now)
        shape = shapes[roles]
        state, ready = shape.copies.make()
        title = f"{instance.title} — {unit.name}"
        copies.append((shape, ready, title))
        rows.append(
            {
                "definition_id": instance.definition_id,
                "jurisdiction_id": unit.id,
                "parent_id": instance.id,
                "title": title,
                "title_folded": fold(title),
                "status": "running",
                "bindings": bindings,
                "document": {},
                "state": state,
                "deadlines": deadlines,
                "reports": {},
                "report_drafts": {},
                "next_timer_at": shape.next_timer_at,
                "started_by_id": actor.user_id,
                "started_at": now,
                "version": 1,
                "last_event_seq": 1,
                "last_event_hash": GENESIS,  # set below, once the event's instance id is known
            }
        )
    if not rows:
        return []
    connection = session.connection()  # Core inserts: the ORM's bulk path costs more than them
    ids = connection.execute(_NEW_INSTANCES, rows).scalars().all()
    tasks, events, heads = [], [], []
    diagram = instance.definition
    for child_id, (bindings, unit), (shape, ready, title) in zip(
        ids, children, copies, strict=True
    ):
        for task, columns in zip(ready, shape.tasks, strict=True):
            tasks.append(
                columns
                | {
                    "instance_id": child_id,
                    "engine_task_id": task.id,
                    "agency_id": bindings[task.lane],
                }
            )
        data = {
            "parent": instance.id,
            "unit": unit.code,
            "title": title,
            "definition": diagram.process_id,
            "version": diagram.version,
            "sha256": diagram.sha256,
            "bindings": bindings,
            "deadlines": deadlines,
        }
        event = {
            "instance_id": child_id,
            "seq": 1,
            "action": "process_started",
            "task_id": None,
            "actor_id": actor.user_id,
            "agency_id": actor.agency_id,
            "role": HEAD_ROLE,
            "data": data,
            "created_at": now,
        }
        head = event_hash(event, GENESIS)
        events.append(event | {"prev_hash": GENESIS, "hash": head})
        heads.append({"child": child_id, "head": head})
    if batch is not None and len(children) <= BATCHED_UNITS:
        batch.add(_NEW_TASKS, tasks)
        batch.add(_NEW_EVENTS, events)
        batch.add(_CHAIN_HEADS, heads)  # rows inserted before the batch: no other write's
    else:  # statements of their own, of any size
        connection.execute(_NEW_TASKS, tasks)
        connection.execute(_NEW_EVENTS, events)
        connection.execute(_CHAIN_HEADS, heads)  # one executemany, on rows just inserted
    return list(ids)


# a fan-out's statements, built once (statements are immutable)
_NEW_ROUNDS = insert(REPORT_ROUNDS)
_NEW_TASKS = insert(TASKS)
_NEW_EVENTS = insert(EVENTS)
_NEW_INSTANCES = insert(INSTANCES).returning(INSTANCES.c.id, sort_by_parameter_order=True)
_CHAIN_HEADS = (
    update(INSTANCES)
    .where(INSTANCES.c.id == bindparam("child"))
    .values(last_event_hash=bindparam("head"))
)


def release_finished_rounds(
    session: Session,
    instance: ProcessInstance,
    runtime: Runtime,
    now: datetime,
    known: Mapping[str, int] | None = None,
) -> None:
    """Stop waiting for any round in which no unit is left to report (or none was addressed).
    `known`: how many units each of these rounds still waits for, as this transaction has just
    written them (issue_plan, report_to_parent): not read back."""
    if instance.issued_at is None:
        return
    for round_ in engine_definition(instance.definition).report_rounds:
        if not runtime.awaits(message(round_)):
            continue
        if known is not None and round_ in known:
            left: int | None = known[round_]
        else:
            # shared-locked until the commit: a last report counting it off meanwhile waits,
            # then finds this plan waiting and wakes it (read unlocked, it would find the plan
            # not yet waiting, and this plan would wait for the deadline with none left)
            key = (instance.id, round_)
            row = session.get(
                ReportRound, key, populate_existing=True, with_for_update={"read": True}
            )
            left = None if row is None else row.open
        if not left:  # none open, or the round was never opened
            runtime.deliver(message(round_), now)
            append_event(session, instance, "units_reported", None, now, data={"round": round_})


def report_to_parent(
    session: Session, child: ProcessInstance, round_: str, now: datetime, batch: Batch
) -> None:
    """Count a unit's report off its parent's round; the last one wakes the parent (its new
    tasks and its version-checked row go with the signing's `batch`)."""
    assert child.parent_id is not None
    params = {"parent": child.parent_id, "of_round": round_}
    remaining, read = _count_off(session, params)
    if remaining != 0:
        return
    parent, open_tasks = read if read is not None else session.execute(_PARENT, params).one()
    runtime = _waiting(parent, round_)
    if runtime is None and read is not None and parent.status == ProcessStatus.RUNNING:
        # read as the count's statement began: it may have begun to wait since
        parent, open_tasks = session.execute(_PARENT, params).one()
        runtime = _waiting(parent, round_)
    if runtime is None:
        return
    release_finished_rounds(session, parent, runtime, now, {round_: remaining})
    save_runtime(session, parent, runtime, now, open_tasks=open_task_ids(open_tasks), batch=batch)
    write_instance(session, parent, batch)


def _count_off(
    session: Session, params: dict[str, Any]
) -> tuple[int | None, tuple[ProcessInstance, str | None] | None]:
    """How many reports the parent's round still waits for once this one is counted off (None:
    no such round), and on PostgreSQL, when none, the parent with its open tasks' engine ids,
    read in the same round trip (_COUNT_OFF_AND_PARENT); else the caller reads it (_PARENT)."""
    if session.get_bind().dialect.name != "postgresql":  # SQLite: no UPDATE in a WITH
        return session.connection().execute(_COUNT_OFF, params).scalar_one_or_none(), None
    row = session.execute(_COUNT_OFF_AND_PARENT, params).first()
    if row is None:
        return None, None
    remaining, parent, open_tasks = row
    return remaining, (None if parent is None else (parent, open_tasks))


def _waiting(parent: ProcessInstance, round_: str) -> Runtime | None:
    """The parent's engine, if the parent waits for the round's reports."""
    if parent.status != ProcessStatus.RUNNING:  # handed over to a successor, which reports
        return None
    runtime = Runtime.restore(engine_definition(parent.definition), parent.state)
    return runtime if runtime.awaits(message(round_)) else None  # else the deadline came first


# the counter, row-locked until the commit: of two last reports, one sees 0
_COUNT_OFF = (
    update(REPORT_ROUNDS)
    .where(
        REPORT_ROUNDS.c.instance_id == bindparam("parent"),
        REPORT_ROUNDS.c.round == bindparam("of_round"),  # not "round": SET would take it
    )
    .values(open=REPORT_ROUNDS.c.open - 1)
    .returning(REPORT_ROUNDS.c.open)
)
# the parent, read afresh once the counter is locked, with its open tasks' engine ids (as
# save_runtime takes them): one round trip
_PARENT = (
    select(ProcessInstance, open_tasks_of(ProcessInstance.id))
    .where(ProcessInstance.id == bindparam("parent"))
    .execution_options(populate_existing=True)
)
# PostgreSQL: both in one round trip; the parent (with its open tasks) only when the count
# reached 0, so a report that is not the last reads nothing more. The count is the locked
# row's latest, but the parent is as the statement began (READ COMMITTED), perhaps before a
# change committed while the UPDATE waited for the lock. Still correct: the parent is written
# version-checked with the signing's batch, so one changed meanwhile makes the signing a 409,
# not a lost update; one no longer running never runs again; only one not yet waiting for
# the round may have begun to (the movement plan, for its annual reports, once it has signed
# its half-year report): report_to_parent reads that one again, afresh.
_COUNTED = _COUNT_OFF.cte("counted")
_COUNT_OFF_AND_PARENT = (
    select(_COUNTED.c.open, ProcessInstance, open_tasks_of(ProcessInstance.id))
    .select_from(_COUNTED)
    .outerjoin(
        ProcessInstance,
        and_(ProcessInstance.id == bindparam("parent"), _COUNTED.c.open == 0),
    )
    .execution_options(populate_existing=True)
)

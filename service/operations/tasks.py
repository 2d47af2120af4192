"""Completing a human task: the one path every interface takes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Select, and_, bindparam, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from service.consolidation import below_units, sum_reports
from service.db.audit_log import write_pending
from service.db.batch import Batch
from service.db.models import Agency, ProcessInstance, Task, TaskDraft
from service.db.tables import TASK_DRAFTS, TASKS
from service.db.uow import UnitOfWork
from service.documents.keys import KeyStore
from service.errors import Conflict, Forbidden, Invalid, Message, NotFound
from service.operations.actors import Actor, Grant
from service.operations.agency_cache import below_level
from service.operations.cascade import (
    INLINE_MAX,
    UnitReport,
    addressed_agencies,
    engine_deadlines,
    issue_plan,
    release_finished_rounds,
    report_to_parent,
    unit_reports_column,
    unit_reports_from,
)
from service.operations.deadlines import closed_state
from service.operations.definitions import engine_definition
from service.operations.documents import check_signing_keys, issue_document, issuer_choices
from service.operations.idempotency import Idempotency, remember
from service.operations.incidents import Failure, ScriptIncident, open_incident
from service.operations.instances import (
    append_event,
    changed_meanwhile,
    open_task_ids,
    open_tasks_of,
    save_runtime,
    write_instance,
)
from service.permissions import HEAD_ROLE
from service.states import TaskState
from service.steps import PLAN_KINDS, REPORT_KINDS, Decision, kind_of, merge, validate_step
from workflows.diff import diff
from workflows.errors import ScriptFailed
from workflows.runtime import Runtime


@dataclass(frozen=True)
class Completed:
    task_id: int
    instance_id: int
    status: str
    next_steps: list[str]
    # a signing: the document it issued, its number in the register, and how many units it
    # reached (a plan: the units it started; a report: 1 when sent to the level above)
    document_id: int | None = None
    document_number: int | None = None
    document_symbol: str | None = None
    units_reached: int | None = None


def check_can_act(actor: Actor, task: Task) -> Grant | None:
    """The grant the actor acts under (None: their own agency and role).

    :raise Forbidden: the task is another agency's or role's, and nobody granted it.
    """
    if task.agency_id == actor.agency_id and task.role in actor.roles:
        return None
    for grant in actor.grants:
        if (grant.agency_id, grant.role) == (task.agency_id, task.role):
            return grant
    raise Forbidden("not_your_task", "This task belongs to another agency or role.")


def claim_task(uow: UnitOfWork, actor: Actor, task_id: int) -> None:
    """Take an open task in hand so that colleagues of the same role see who is on it.

    :raise Conflict: it is closed, or someone else holds it.
    """
    with uow:
        task = _open_task(uow, actor, task_id)
        if task.claimed_by_id not in (None, actor.user_id):
            raise Conflict("task_claimed", "A colleague has taken this task in hand.")
        if task.claimed_by_id == actor.user_id:
            return  # already in hand: nothing changes, nothing to record
        task.claimed_by_id, task.claimed_at = actor.user_id, uow.now()
        uow.record("task_claimed", actor, instance=task.instance, role=task.role, task=task)
        _flush_or_conflict(uow)
        _commit_or_conflict(uow)


def release_task(uow: UnitOfWork, actor: Actor, task_id: int) -> None:
    """Give a claimed task back to the agency's queue; only its holder may."""
    with uow:
        task = _open_task(uow, actor, task_id)
        if task.claimed_by_id != actor.user_id:
            raise Conflict("task_not_claimed_by_you", "You do not hold this task.")
        task.claimed_by_id, task.claimed_at = None, None
        uow.record("task_released", actor, instance=task.instance, role=task.role, task=task)
        _flush_or_conflict(uow)
        _commit_or_conflict(uow)


def _open_task(uow: UnitOfWork, actor: Actor, task_id: int) -> Task:
    # the instance comes with it: loading it later, once the task is changed, would autoflush
    # the change outside _flush_or_conflict, and a concurrent claim's StaleDataError be a 500
    task = uow.session.get(Task, task_id, options=[joinedload(Task.instance)])
    if task is None:
        raise NotFound("task_not_found", "No such task.")
    check_can_act(actor, task)
    if task.state != TaskState.OPEN:
        raise Conflict("task_not_open", f"This task is already {task.state}.", state=task.state)
    return task


# Who completed the latest draft of what the task would sign (the plan, or the report of its
# round): read with the task, so that a signing checks its drafter without a statement of its
# own (a round trip on PostgreSQL), for the price of an indexed look in the others.
_DRAFTED = TASKS.alias("drafted")
_LAST_DRAFTER = (
    select(_DRAFTED.c.completed_by_id)
    .where(
        _DRAFTED.c.instance_id == Task.instance_id,
        _DRAFTED.c.state == TaskState.COMPLETED,
        or_(
            and_(Task.report_round.is_(None), _DRAFTED.c.form.in_(PLAN_KINDS)),
            and_(_DRAFTED.c.form.in_(REPORT_KINDS), _DRAFTED.c.report_round == Task.report_round),
        ),
    )
    .order_by(_DRAFTED.c.completed_at.desc(), _DRAFTED.c.id.desc())
    .limit(1)
    .correlate(Task)
    .scalar_subquery()
)
# The engine tasks of the instance's other open rows, comma-separated: what save_runtime would
# read after the engine ran. Whatever opens or cancels a task writes its instance too, so a
# change to them in between moves the version, and the completion's checked write then fails.
_OPEN_OTHERS = open_tasks_of(Task.instance_id, besides=Task.id)


@lru_cache(maxsize=2)
def _task_to_complete(dialect: str) -> Select[Any]:
    """The task with its plan and the plan's diagram row, whether a draft of it is saved (a
    completion without one has none to delete), its last drafter, the other open tasks and
    the plan's units with their reports for the task's round (what a consolidation is checked
    against and a report's signature prints): one query, built once per dialect."""
    return (
        select(
            Task,
            exists().where(TaskDraft.task_id == Task.id),
            _LAST_DRAFTER,
            _OPEN_OTHERS,
            unit_reports_column(dialect, Task.instance_id, Task.report_round),
        )
        .options(joinedload(Task.instance).joinedload(ProcessInstance.definition))
        .where(Task.id == bindparam("task_id"))
    )


def complete_task(
    uow: UnitOfWork,
    actor: Actor,
    task_id: int,
    decision: str,
    comment: str | None,
    data: dict[str, Any],
    idempotency: Idempotency | None = None,
    keys: KeyStore | None = None,
    fanout_inline_max: int | None = None,
) -> Completed:
    """Complete an open task, advance its process, and record what changed. With `keys`, a
    signing first checks the certificates its PDF will be signed with. A plan signed to more
    units than `fanout_inline_max` (None: cascade.INLINE_MAX) is issued to them by the worker.

    :raise Unprocessable: a script of the diagram failed; nothing of the completion is kept,
        and the failure is recorded as an incident (service.operations.incidents).
    :raise Conflict: a certificate that would sign is expired, revoked or untrusted.
    """
    try:
        inline_max = INLINE_MAX if fanout_inline_max is None else fanout_inline_max
        return _complete_task(
            uow, actor, task_id, decision, comment, data, idempotency, keys, inline_max
        )
    except ScriptIncident as raised:
        raise open_incident(uow, actor, raised) from raised.error


def _complete_task(
    uow: UnitOfWork,
    actor: Actor,
    task_id: int,
    decision: str,
    comment: str | None,
    data: dict[str, Any],
    idempotency: Idempotency | None,
    keys: KeyStore | None,
    inline_max: int,
) -> Completed:
    """`complete_task` in its transaction.

    Everything happens in one transaction, the idempotency key's result included. The task row
    is claimed by a version-checked UPDATE: of two simultaneous completions exactly one commits
    and the other gets 409 (on PostgreSQL the second UPDATE waits for the first commit, then
    matches no row). The instance carries a version too, for completions of two different
    tasks of one instance. The claim goes with the completion's other writes, in one statement
    on PostgreSQL (service.db.batch), a signing's too: a concurrent loser numbers a document
    once the winner has committed (the register row is held until then), then finds the task
    claimed and rolls back, its number with it. With a unit in autocommit
    (service.db.uow), the reads go without a transaction, which begins at the first write; an
    ordinary step's only write is its batch, which is then a transaction of its own.
    """
    with uow:
        now = uow.now()
        statement = _task_to_complete(uow.session.get_bind().dialect.name)
        loaded = uow.session.execute(statement, {"task_id": task_id}).first()
        if loaded is None:
            raise NotFound("task_not_found", "No such task.")
        task, drafted, drafter, open_others, units_read = loaded
        grant = check_can_act(actor, task)
        if task.state != TaskState.OPEN:
            raise Conflict("task_not_open", f"This task is already {task.state}.", state=task.state)
        if task.claimed_by_id not in (None, actor.user_id):
            raise Conflict("task_claimed", "A colleague has taken this task in hand.")
        try:
            values = validate_step(task.form, decision, comment, data)
        except ValidationError as err:
            raise Invalid(err.messages_dict) from err
        instance = task.instance
        kind = kind_of(task.form)
        reported = unit_reports_from(units_read, instance.document) if task.report_round else []
        addressed = values.get("addressed_units") or []
        sites = values.get("pilot_sites") or []
        named = [*addressed, *(site["agency"] for site in sites if site.get("agency"))]
        if named:  # none named: nothing to look up; else one look for both checks
            found = below_level(uow.session, named, instance.jurisdiction_id)
            _check_addressed_units(found, addressed)
            _check_pilot_units(found, sites)
        if values.get("issuer") is not None:
            _check_issuer(uow, instance, values["issuer"])
        prefill: dict[str, Any] | None = None
        if kind.writes_report:
            assert task.report_round is not None  # deploying checks it
            _check_festival_dates(instance, values)
            prefill = _check_against_units(reported, values)
        claim: dict[str, Any] = {
            "state": TaskState.COMPLETED,
            "completed_at": now,
            "completed_by_id": actor.user_id,
            "decision": decision,
            "comment": comment,
            "deadline_state": closed_state(task, now),
        }
        if grant is not None:
            claim |= {"on_behalf_of_id": grant.on_behalf_of_id, "signing_mark": grant.mark}
        batch = Batch()  # the writes, sent at the end as one statement (PostgreSQL)
        _claim(batch, task, claim)
        if drafted:  # sent: no draft left
            batch.add(_NO_DRAFT, {"sent": task.id})
        document = merge(kind, instance.document, values)
        # a return leaves the plan as its drafter submitted it: the reviewer's edits go back
        # with it as a proposal, for the drafter to take or not
        proposed = _proposal(instance.document, document, decision)
        if proposed is not None:
            document = instance.document
        if kind.needs_verdicts and decision == Decision.APPROVE:
            _check_verdicts(document)
        if kind.not_by_drafter and drafter == actor.user_id:
            raise Forbidden(
                "drafter_cannot_sign", "Whoever drafted a plan or report may not sign it."
            )
        if (kind.signs_plan or kind.signs_report) and decision == Decision.APPROVE:
            # the worker signs on the wall clock's time, whatever clock the service keeps
            issued_as = document.get("issuer") if kind.signs_plan else None
            check_signing_keys(
                uow.session, keys, actor, task.agency_id, datetime.now(UTC), issued_as
            )
        definition = engine_definition(instance.definition)
        runtime = Runtime.restore(definition, instance.state)
        engine_data = {"decision": decision, **engine_deadlines(instance, document)}
        with uow.session.no_autoflush:  # one flush at the end, not one per query
            try:
                runtime.complete(task.engine_task_id, engine_data, now)
            except ScriptFailed as err:
                failure = Failure(
                    "complete", instance.definition_id, instance.id, task.id, engine_data
                )
                raise ScriptIncident(err, failure) from err
            event: dict[str, Any] = {"step": task.step, "decision": decision, "comment": comment}
            if grant is not None:  # the use of a delegation is part of the record
                event["on_behalf_of"] = grant.on_behalf_of_id
                event["signing_mark"] = grant.mark
            round_ = task.report_round
            report: dict[str, Any] | None = None  # the report this completion signs
            if kind.writes_report and round_ is not None:
                # the draft waits for the head's signature; it replaces the draft before it
                before = instance.report_drafts.get(round_) or instance.reports.get(round_, {})
                event |= {"round": round_, "draft": True, "changes": diff(before, values)}
                if prefill is not None:  # what the level changed of the units' sums it opened with
                    event["changed_from_units"] = diff(prefill, values)
                instance.report_drafts = {**instance.report_drafts, round_: values}
            elif kind.signs_report and round_ is not None:
                event["round"] = round_
                event["changes"] = []
                if decision == Decision.APPROVE:
                    report = instance.report_drafts[round_]
                    event["changes"] = diff(instance.reports.get(round_, {}), report)
                    instance.reports = {**instance.reports, round_: report}
            else:
                # a step that writes nothing keeps the very same document: nothing to compare
                event["changes"] = (
                    [] if document is instance.document else diff(instance.document, document)
                )
                instance.document = document
                if proposed:
                    event["proposed"] = proposed
            append_event(
                uow.session,
                instance,
                "task_completed",
                actor,
                now,
                role=task.role,
                task=task,
                data=event,
            )
            signed = kind.signs_plan and decision == Decision.APPROVE
            issued = None
            reached = 0
            issuing = signed and instance.issued_at is None and bool(definition.report_rounds)
            units = addressed_agencies(uow.session, instance, inline_max) if issuing else None
            if signed:
                issued = issue_document(uow.session, instance, task, actor, now, batch, units=units)
            elif report is not None:
                issued = issue_document(
                    uow.session, instance, task, actor, now, batch, report=report, reported=reported
                )
                reached = 1 if instance.parent_id is not None else 0
            # signed: issue it to its units, even when its report deadline has passed already
            # (the engine has then fired the timer, and the standing body consolidates at once)
            opened = None  # the rounds opened now, and how many units each waits for
            if issuing:
                reached = issue_plan(uow.session, instance, actor, now, units, batch)
                opened = dict.fromkeys(definition.report_rounds, reached)
            release_finished_rounds(uow.session, instance, runtime, now, opened)
            open_tasks = open_task_ids(open_others)
            save_runtime(uow.session, instance, runtime, now, open_tasks=open_tasks, batch=batch)
            if runtime.completed:
                append_event(uow.session, instance, "process_completed", None, now)
            if report is not None and round_ is not None and instance.parent_id is not None:
                report_to_parent(uow.session, instance, round_, now, batch)
        status = instance.status
        write_instance(uow.session, instance, batch)
        _flush_or_conflict(uow)  # the rest, if any (a document, a parent woken)
        write_pending(uow.session, batch)  # the events go with the batch, whatever flushes next
        completed = Completed(
            task.id,
            task.instance_id,
            status,
            [t.name for t in runtime.ready_tasks()],
            *(() if issued is None else (issued.id, issued.number, issued.symbol, reached)),
        )
        remember(uow.session, idempotency, asdict(completed), now)
        _commit_or_conflict(uow, batch)  # alone, when nothing else was written
        return completed


def _proposal(
    current: dict[str, Any], edited: dict[str, Any], decision: str
) -> list[dict[str, Any]] | None:
    """What a return would have changed of the plan, as `diff`'s changes (None: not a return,
    or a step that writes nothing)."""
    if decision != Decision.RETURN or edited is current:
        return None
    return diff(current, edited)


_NO_DRAFT = delete(TASK_DRAFTS).where(TASK_DRAFTS.c.task_id == bindparam("sent"))
# SET takes the columns the parameters name, besides the WHERE's own (built once: immutable)
_CLAIM = update(TASKS).where(
    TASKS.c.id == bindparam("claimed_id"),
    TASKS.c.version == bindparam("claimed_version"),
    TASKS.c.state == TaskState.OPEN,
)


def _claim(batch: Batch, task: Task, values: dict[str, Any]) -> None:
    """Write `values` to the open task by one UPDATE, in `batch`, that checks its version and
    its state, and keep the loaded row in step without a flush.

    Of two simultaneous completions exactly one matches the row (on PostgreSQL the second
    UPDATE waits for the first to commit, then finds the version moved); the other is a 409,
    `task_not_open`, when the batch is sent.
    """
    values = values | {"version": task.version + 1}
    claimed = values | {"claimed_id": task.id, "claimed_version": task.version}
    batch.add(_CLAIM, claimed, expect=1, conflict=changed_meanwhile)
    for key, value in values.items():
        set_committed_value(task, key, value)


def _flush_or_conflict(uow: UnitOfWork) -> None:
    """Flush, and with it the events appended (a flush with nothing to write writes none: a
    completion's go with its batch); a version mismatch or a taken event number means another
    completion came first."""
    with _conflicts(changed_meanwhile):
        uow.session.flush()


def _commit_or_conflict(uow: UnitOfWork, batch: Batch | None = None) -> None:
    """Commit, `batch` last (UnitOfWork.commit); the recorded events move the instance's chain
    head, so a completion of the same process at the same moment is a conflict, not a lost
    event."""
    with _conflicts(_busy):
        uow.commit(batch)


@contextmanager
def _conflicts(stale: Callable[[], Conflict]) -> Iterator[None]:
    """A version mismatch (`stale`), a taken event number or a task opened already (`_busy`),
    as a 409: another completion came first."""
    try:
        yield
    except StaleDataError as err:
        raise stale() from err
    except IntegrityError as err:
        if not any(name in str(err.orig) for name in _TAKEN_FIRST):
            raise
        raise _busy() from err


def _busy() -> Conflict:
    return Conflict("instance_busy", "The process changed meanwhile; try again.")


# what a concurrent completion of the same process writes first (PostgreSQL names them; SQLite
# has one writer at a time): the next event number, or the task both open (the engine names
# it ahead, in the state both read)
_TAKEN_FIRST = ("uq_event_instance_id_seq", "uq_task_engine_task_id")


def _check_pilot_units(found: dict[str, bool], sites: list[Any]) -> None:
    """A pilot site's unit, when named, is one of the units the plan may address (`found`:
    `below_level` of the codes named)."""
    errors = {
        index: {"agency": [Message("not_a_unit_here", "Not a unit of this plan's level.")]}
        if site["agency"] in found
        else {"agency": [Message("unknown_agency", "Unknown agency code.")]}
        for index, site in enumerate(sites)
        if site.get("agency") and not found.get(site["agency"])
    }
    if errors:
        raise Invalid({"data": {"pilot_sites": errors}})


def _check_addressed_units(found: dict[str, bool], codes: list[str]) -> None:
    """A plan may address only agencies below its own level, each once (`found`:
    `below_level` of the codes named)."""
    errors: dict[int, list[str]] = {}
    seen: set[str] = set()
    for index, code in enumerate(codes):
        first = code not in seen
        seen.add(code)
        if code not in found:
            errors[index] = [Message("unknown_agency", "Unknown agency code.")]
        elif not first:
            errors[index] = [Message("addressed_twice", "Addressed twice.")]
        elif not found[code]:
            errors[index] = [Message("not_a_unit_here", "Not a unit of this plan's level.")]
    if errors:
        raise Invalid({"data": {"addressed_units": errors}})


def _check_issuer(uow: UnitOfWork, instance: ProcessInstance, symbol: str) -> None:
    """A plan is issued as its signing agency or as a body that agency issues as."""
    signer = uow.session.get(Agency, instance.bindings.get(HEAD_ROLE, 0))
    choices = [] if signer is None else [s for s, _ in issuer_choices(signer)]
    if symbol not in choices:
        reason = Message("not_a_choice", "Choose one of the options.", choices=list(choices))
        raise Invalid({"data": {"issuer": [reason]}})


def _check_against_units(units: list[UnitReport], report: dict[str, Any]) -> dict[str, Any] | None:
    """A consolidated report holds at least what its `units` reported together, unless it
    says why; returns those sums (None: no unit has reported).

    :raise Invalid: a figure below the units' sum, with no reason given.
    """
    reported = [u.report for u in units if u.report]
    if not reported:
        return None
    sums = sum_reports(reported)
    low = below_units(report, sums)
    if low and not report.get("adjustment_reason", "").strip():
        errors: dict[str, Any] = {}
        for path, total in low.items():
            node = errors
            *parents, leaf = path.split(".")
            if parents == ["awards"]:  # a list of rows: the row of that kind, else the list
                rows = [a["kind"] for a in report["awards"]]
                awards = errors.setdefault("awards", {})
                if leaf in rows:
                    awards[rows.index(leaf)] = {"count": [_below(total)]}
                else:
                    awards.setdefault("_schema", []).append(_below(total))
                continue
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = [_below(total)]
        raise Invalid({"data": errors})
    return sums


def _below(total: int) -> Message:
    return Message(
        "below_units",
        "Below what the units reported together (%(sum)s): correct it or give the reason.",
        sum=total,
    )


def _check_verdicts(document: dict[str, Any]) -> None:
    """:raise Invalid: a nomination has no verdict yet."""
    pending = {
        i: {"accepted": [Message("no_verdict", "Give a verdict: accepted or not.")]}
        for i, nomination in enumerate(document.get("nominations", []))
        if nomination.get("accepted") is None
    }
    if pending:
        raise Invalid({"data": {"nominations": pending}})


def _check_festival_dates(instance: ProcessInstance, report: dict[str, Any]) -> None:
    """Festivals reported must fall inside the unit's plan window."""
    window = instance.document.get("window")
    if not window:
        return
    start, end = window["start"], window["end"]  # ISO dates compare as strings
    errors = {
        i: {
            "start": [
                Message(
                    "outside_window",
                    "Outside the plan's period %(start)s – %(end)s.",
                    start=start,
                    end=end,
                )
            ]
        }
        for i, festival in enumerate(report["festivals"])
        if festival["start"] < start or festival["end"] > end
    }
    if errors:
        raise Invalid({"data": {"festivals": errors}})

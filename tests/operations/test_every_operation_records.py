"""Every public function of service.operations is classified: a case that runs it on a prepared
database, or an exemption with its reason. A case passes when every transaction that changed a
business table (any but the audit log's own) also wrote an event, and the log still verifies.
A new operation fails `test_every_operation_is_classified` until someone classifies it."""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pyotp
import pytest
from sqlalchemy import Engine, event, func, select, update

import service.operations
from service.db.attachment_store import DatabaseStore
from service.db.base import Base
from service.db.models import Event, Notification, User
from service.errors import Unprocessable
from service.operations.actors import SYSTEM
from service.operations.audit import checkpoint, verify
from service.operations.audit_export import export
from service.operations.awards import issue_award_decision
from service.operations.conversations import add_comment, attach_file
from service.operations.deadlines import email_pending
from service.operations.definitions import deploy
from service.operations.delegations import grant_delegation, revoke_delegation
from service.operations.directory import load_directory
from service.operations.directory_import import import_agencies
from service.operations.fanout import issue_batch, issue_pending
from service.operations.incidents import cancel_incident, retry_incident
from service.operations.notifications import mark_read
from service.operations.processes import copy_last_year, start_process
from service.operations.registers import set_next_number
from service.operations.rendering import fail, render_pending, take_jobs
from service.operations.reorganisation import (
    create_agency,
    dissolve_agency,
    merge_agency,
    move_agency,
    rename_agency,
    split_agency,
)
from service.operations.replay import replay
from service.operations.scheduled_reorganisation import (
    apply,
    apply_due,
    schedule_reorganisation,
)
from service.operations.scheduler import fire_due_timers, tick
from service.operations.second_factor import disable_user, enrol, new_secret
from service.operations.second_factor import verify as verify_code
from service.operations.sessions import end_user_sessions, set_password
from service.operations.signing import verifying_key
from service.operations.supervision import assign_task, remind_task, remind_units
from service.operations.tasks import claim_task, complete_task, release_task
from service.operations.users import (
    create_user,
    reset_password,
    reset_second_factor,
    seal_second_factors,
    set_active,
    set_roles,
)
from service.operations.users_import import import_users
from tests.operations.conftest import (
    ADMIN,
    AUDITOR,
    AWARDS,
    CHAIRMAN,
    COLLEAGUE,
    FINANCE,
    PLAN_2023,
    POLICE,
    SUBSTITUTE,
    UNIT,
    Ops,
)
from tests.operations.test_operations import BPMN

AUDIT_TABLES = frozenset({"event", "checkpoint", "audit_chain"})
# The render worker's queues: a job's lease and attempts are bookkeeping, not business; what a job
# does to its document (rendered, or given up) or its plan (units started) is recorded.
QUEUES = frozenset({"render_job", "fanout_job"})
# The dashboard's kept figures: derived from the business rows (equal to the live queries as of
# their refresh), so refreshing them changes no business state.
FIGURES = frozenset({"dashboard_refresh", "dashboard_figure"})
BUSINESS = [t for t in Base.metadata.sorted_tables if t.name not in AUDIT_TABLES | QUEUES | FIGURES]
DEMO_SECRET = "NGAYHOITOANDANBAOVEANNINHTOQUOCX"  # noqa: S105  # the README's demo key

IN_CALLER = "a step inside its caller's transaction (takes a Session, never commits)"
READ = "reads only"
PURE = "computes from its arguments; no database"
SESSIONS = "a login session's own row; the security log records logins and sessions ended"
EXEMPT: dict[str, str] = {
    "actors.active_user": READ,
    "actors.actor_of": READ,
    "actors.authenticate": READ,
    "actors.load_actor": READ,
    "actors.users_with_password": READ,
    "agency_cache.agencies_by_code": READ + " (or keeps what it read, in this process)",
    "agency_cache.agencies_with_parents": READ + " (or keeps what it read, in this process)",
    "agency_cache.below_level": READ + " (or keeps what it read, in this process)",
    "agency_cache.keep_agencies": "sets up a process's cache; no database",
    "agency_cache.newest_definition": READ + " (or keeps what it read, in this process)",
    "agency_cache.role_bindings": READ + " (or keeps what it read, in this process)",
    "users.second_factors_opening": READ,
    "audit.checkpoint_view": PURE,
    "audit.latest_checkpoint": READ,
    "audit.verify": READ + " (and every case runs it)",
    "audit.verify_log": READ,
    "cascade.addressed_agencies": READ,
    "cascade.engine_deadlines": PURE,
    "cascade.message": PURE,
    "cascade.unit_deadlines": PURE,
    "cascade.unit_reports": READ,
    "cascade.unit_reports_column": PURE + ": a column of its caller's statement",
    "cascade.unit_reports_from": PURE,
    "cascade.issue_plan": IN_CALLER + ": complete_task's case issues a plan",
    "cascade.release_finished_rounds": IN_CALLER,
    "cascade.start_units": IN_CALLER + ": complete_task's case issues a plan",
    "cascade.report_to_parent": IN_CALLER,
    "deadlines.closed_state": PURE,
    "deadlines.schedule": IN_CALLER,
    "deadlines.refresh_states": IN_CALLER + ": scheduler.tick's case",
    "deadlines.send_reminders": IN_CALLER + ": scheduler.tick's case",
    "dashboard_figures.refresh_figures": "bookkeeping: writes only the dashboard's derived"
    " figures (FIGURES above), recomputed from business rows it does not change",
    "dashboard_figures.stale_campaigns": READ,
    "definitions.definition_view": PURE,
    "drafts.read_draft": READ,
    "drafts.typed": PURE,
    # a draft is unsent typing (a form's memory, deleted when the task completes): it changes
    # nothing of the process, and the completion records what was sent; an event per autosave
    # would flood the history and contend with the completion for the instance's chain
    "drafts.save_draft": "unsent typing, not a change of the process (see the comment above)",
    "definitions.engine_definition": PURE + " (a parse cache)",
    "definitions.latest": READ,
    "documents.check_signing_keys": READ + " (refuses a signing whose certificate may not sign)",
    "documents.issue_document": IN_CALLER + ": complete_task's case signs a plan",
    "documents.official_document": READ,
    "documents.signer_position": PURE,
    "documents.report_recipients": READ,
    "documents.take_number": IN_CALLER + ": complete_task's case signs a plan",
    "idempotency.forget_old_keys": IN_CALLER + ": scheduler.tick's case",
    "idempotency.recall": READ,
    "incidents.list_incidents": READ,
    "audit.checkpoint_due": READ,
    "audit_rows.aware": PURE,
    "audit_rows.check_rows": READ + " (verify's comparison of business rows with the log)",
    "audit_rows.json_object": PURE,
    "audit_rows.row_break": PURE,
    "replay.replay_instance": READ + " (replay's engine run, in memory)",
    "awards.decided_here": PURE,
    "awards.outline": READ,
    "awards.signing_mark": READ,
    "conversations.mentionable": READ,
    "conversations.sniff": PURE,
    "documents.archive_line": READ,
    "documents.decision_issuer": READ,
    "documents.plan_recipients": READ,
    "documents.issuer_choices": READ,
    "documents.plan_grounds": READ + " (what a plan's preamble cites)",
    "documents.cited": PURE,
    "documents.next_number": READ + " (the number a signing would take, not taken)",
    "documents.to_sign": READ + " (a signing's preview)",
    "security_log.read": READ,
    "security_log.record": "writes the security log itself (logins, refusals): its own record",
    "sessions.check": SESSIONS,
    "sessions.end": SESSIONS,
    "sessions.end_all_of": IN_CALLER,
    "sessions.end_mine": SESSIONS,
    "sessions.mine": READ,
    "sessions.open_session": SESSIONS,
    "idempotency.remember": IN_CALLER,
    "instances.append_event": IN_CALLER,
    "instances.changed_meanwhile": PURE,
    "instances.open_task_ids": PURE,
    "instances.open_tasks_of": PURE,  # a column for the caller's query
    "instances.save_runtime": IN_CALLER,
    "instances.write_instance": IN_CALLER,
    "reading.readable_instance": READ,
    "reading.visible_instance": READ,
    "reading.readable_processes": READ,
    "registers.agency_by_code": READ,
    "registers.check_place": PURE,
    "registers.register_symbols": PURE,
    "registers.resolve_register": PURE,
    "rendering.any_due": READ,
    "fanout.any_due": READ,
    "rendering.render": PURE + " (the files from a taken job)",
    "rendering.run_job": "render_pending's step: its case checks each of its commits",
    "rendering.store": "render_pending's step: its case checks each of its commits",
    "rendering.worker_name": PURE,
    "second_factor.new_secret": PURE,
    "second_factor.provisioning_uri": PURE,
    "signing.fingerprint": PURE,
    "signing.public_pem": PURE,
    "signing.signed_by": PURE,
    "signing.signing_key": "makes the key file, not a database change",
    "signing.verifying_key": "reads the key file",
    "signing.write_witness": "writes checkpoint's witness copy: checkpoint's case",
    "tasks.check_can_act": PURE,
    "supervision.headed": PURE,
    "supervision.supervises": READ,
    "reorganisation.agency_view": PURE,
    "reorganisation.add_agency": IN_CALLER + ": create_agency's and import_agencies' cases",
    "users.one_time_password": PURE,
    "users_import.roles_of": PURE,
    "scheduled_reorganisation.scheduled_view": PURE,
    "succession.hand_over": IN_CALLER + " (test_reorganisation hands a running plan over)",
    "succession.rebind_own_plans": IN_CALLER + " (test_demo_story rebinds Bắc Giang's own plan)",
}


def operations() -> set[str]:
    """module.function for every public function defined in a service.operations module."""
    found = set()
    for info in pkgutil.iter_modules(service.operations.__path__):
        module = importlib.import_module(f"service.operations.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and function.__module__ == module.__name__:
                found.add(f"{info.name}.{name}")
    return found


# --- preparing a database ----------------------------------------------------------------------


def _start(ops: Ops) -> int:
    return start_process(ops.uow(), ops.actor(POLICE), "plan_chain", PLAN_2023["title"])


def _complete(ops: Ops, process: int, username: str, decision: str, data: Any = None) -> None:
    (task,) = ops.open_tasks(process)
    complete_task(ops.uow(), ops.actor(username), task.id, decision, None, data or {})


def _at_chairman(ops: Ops) -> int:
    """A plan drafted, appraised and reviewed: the chairman's signature is next."""
    process = _start(ops)
    _complete(ops, process, POLICE, "submit", PLAN_2023)
    _complete(ops, process, FINANCE, "approve")
    nominations = [{**n, "accepted": True} for n in PLAN_2023["nominations"]]
    _complete(ops, process, AWARDS, "approve", {"nominations": nominations})
    return process


def _issued(ops: Ops) -> int:
    process = _at_chairman(ops)
    _complete(ops, process, CHAIRMAN, "approve")
    return process


def _code(ops: Ops, secret: str) -> str:
    return str(pyotp.TOTP(secret, interval=30).at(ops.clock()))


class _Outbox:
    def __init__(self) -> None:
        self.sent: list[list[str]] = []

    def send(self, to: list[str], subject: str, body: str) -> None:
        self.sent.append(to)


def _with_email(ops: Ops) -> None:
    with ops.factory() as session, session.begin():  # preparation, outside the check
        session.execute(update(User).values(email=User.username + "@example.vn"))


def _copying(ops: Ops) -> Callable[[], object]:
    """Last year's plan drafted; a year on, the copy starts this year's."""
    _complete(ops, _start(ops), POLICE, "submit", PLAN_2023)
    ops.clock.advance(days=366)
    return lambda: copy_last_year(ops.uow(), ops.actor(POLICE))


# Each case prepares the database and returns the call under test.
Case = Callable[[Ops], Callable[[], object]]


def _claimed(ops: Ops) -> Callable[[], object]:
    process = _start(ops)
    (task,) = ops.open_tasks(process)
    claim_task(ops.uow(), ops.actor(POLICE), task.id)
    return lambda: release_task(ops.uow(), ops.actor(POLICE), task.id)


def _granted(ops: Ops) -> Callable[[], object]:
    ops.at("2023-04-20")
    chairman = ops.actor(CHAIRMAN)
    grant = grant_delegation(
        ops.uow(), chairman, SUBSTITUTE, date(2023, 4, 24), date(2023, 4, 28), "TUQ"
    )
    return lambda: revoke_delegation(ops.uow(), chairman, grant)


def _signing(ops: Ops) -> Callable[[], object]:
    process = _at_chairman(ops)
    return lambda: _complete(ops, process, CHAIRMAN, "approve")  # issues, numbers, cascades


def _timer_due(ops: Ops) -> Callable[[], object]:
    _issued(ops)
    ops.clock.advance(days=400)  # past every unit's deadline
    return lambda: fire_due_timers(ops.uow())


def _scheduled(ops: Ops) -> Callable[[], object]:
    """A dissolution scheduled on 30 June for 1 July, the day come."""
    ops.at("2025-06-30")
    schedule_reorganisation(
        ops.uow(),
        ops.actor(ADMIN),
        action="dissolve",
        agency="nga-son",
        arguments={},
        effective=date(2025, 7, 1),
    )
    ops.at("2025-07-01")
    return lambda: apply_due(ops.uow)


def _ticking(ops: Ops) -> Callable[[], object]:
    _issued(ops)
    ops.clock.advance(days=60)  # units' plans overdue: states move, reminders are owed
    return lambda: tick(ops.uow)


def _emailing(ops: Ops) -> Callable[[], object]:
    _with_email(ops)
    _issued(ops)
    ops.clock.advance(days=60)
    tick(ops.uow)
    with ops.factory() as session:
        assert session.scalar(select(func.count()).select_from(Notification))
    return lambda: _email_pending(ops)


def _notified(ops: Ops) -> Callable[[], object]:
    _issued(ops)
    ops.clock.advance(days=60)
    tick(ops.uow)  # reminders reach the units' agencies
    with ops.factory() as session:
        user_id, agency_id = session.execute(
            select(User.id, User.agency_id).join(
                Notification, Notification.agency_id == User.agency_id
            )
        ).first()
        username = session.get_one(User, user_id).username
    return lambda: mark_read(ops.uow(), ops.actor(username))


def _email_pending(ops: Ops) -> None:
    outbox = _Outbox()
    with ops.uow() as uow:
        assert email_pending(uow, outbox)
    assert outbox.sent


def _issuing(ops: Ops) -> int:
    """A plan signed to its nine units with the threshold at one: the worker issues it."""
    process = _at_chairman(ops)
    (task,) = ops.open_tasks(process)
    complete_task(ops.uow(), ops.actor(CHAIRMAN), task.id, "approve", None, {}, fanout_inline_max=1)
    return process


def _jobs_due(ops: Ops) -> Callable[[], object]:
    _issued(ops)
    return lambda: take_jobs(ops.uow(), 1)


def _job_failing(ops: Ops) -> Callable[[], object]:
    _issued(ops)
    (taken,) = take_jobs(ops.uow(), 1)
    return lambda: fail(ops.uow(), taken, "the layout broke")


def _enrolling(ops: Ops) -> Callable[[], object]:
    secret = new_secret()
    user_id = ops.actor(UNIT).user_id
    return lambda: enrol(ops.uow(), user_id, secret, _code(ops, secret))


def _logging_in(ops: Ops) -> Callable[[], object]:
    user_id = ops.actor(CHAIRMAN).user_id
    return lambda: verify_code(ops.uow(), user_id, _code(ops, DEMO_SECRET))


def _new_user(ops: Ops) -> Callable[[], object]:
    user = {"username": "moi", "full_name": "Người Mới", "agency": "thanh-hoa-so-y-te"}
    return lambda: load_directory(ops.uow(), {"user": [{**user, "roles": ["unit"]}]}, "x")


def _deploying(ops: Ops) -> Callable[[], object]:
    xml = (BPMN / "plan_chain.bpmn").read_bytes() + b"<!-- v2 -->\n"
    return lambda: deploy(ops.uow(), ops.actor(ADMIN), "plan_chain.bpmn", xml)


def _exporting(ops: Ops) -> Callable[[], object]:
    process = _start(ops)
    return lambda: export(
        ops.uow(), SYSTEM, process, ops.key_path, ops.witness_dir, sign_first=True
    )


def _failing_script(ops: Ops) -> tuple[int, int]:
    """A diagram whose draft's script fails: the completion is refused; (process, task)."""
    chain = (BPMN / "plan_chain.bpmn").read_bytes()
    draft = 'name="Xây dựng kế hoạch">'.encode()
    script = b"<bpmn:extensionElements><spiffworkflow:postScript>x = 1 // 0"
    script += b"</spiffworkflow:postScript></bpmn:extensionElements>"
    deploy(ops.uow(), ops.actor(ADMIN), "plan_chain.bpmn", chain.replace(draft, draft + script, 1))
    process = _start(ops)
    return process, ops.open_tasks(process)[0].id


def _submit_failing(ops: Ops, task: int) -> int | None:
    """Submit the failing draft; the incident's id the 422 names."""
    try:
        complete_task(ops.uow(), ops.actor(POLICE), task, "submit", None, PLAN_2023)
    except Unprocessable as refused:
        return int(refused.params["incident"])
    raise AssertionError("the script should have failed")


def _incident(ops: Ops) -> int:
    incident = _submit_failing(ops, _failing_script(ops)[1])
    assert incident is not None
    return incident


def _retrying(ops: Ops) -> Callable[[], object]:
    incident = _incident(ops)
    fixed = (BPMN / "plan_chain.bpmn").read_bytes() + b"<!-- fixed -->\n"  # a new version
    deploy(ops.uow(), ops.actor(ADMIN), "plan_chain.bpmn", fixed)
    return lambda: retry_incident(ops.uow(), ops.actor(ADMIN), incident)


def _overdue(ops: Ops) -> int:
    """A plan whose draft is long overdue (COLLEAGUE supervises the province)."""
    process = _start(ops)
    ops.clock.advance(days=60)
    tick(ops.uow)
    return process


def _deciding(ops: Ops) -> Callable[[], object]:
    process = _at_chairman(ops)
    _complete(ops, process, CHAIRMAN, "approve")
    return lambda: issue_award_decision(ops.uow(), ops.actor(CHAIRMAN), process)


def _reorganising(ops: Ops, operation: Any, *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """An administrator's reorganisation of the demo directory on 1 July 2025."""
    ops.at("2025-07-01")
    july = date(2025, 7, 1)
    return lambda: operation(ops.uow(), ops.actor(ADMIN), *args, effective=july, **kwargs)


CASES: dict[str, Case] = {
    "conversations.add_comment": lambda ops: (
        p := _start(ops),
        lambda: add_comment(
            ops.uow(), ops.actor(FINANCE), p, "Xin ý kiến?", mentions=["thanh-hoa-cong-an"]
        ),
    )[1],
    "conversations.attach_file": lambda ops: (
        p := _start(ops),
        lambda: attach_file(
            ops.uow(), DatabaseStore(), ops.actor(POLICE), p, "a.pdf", b"%PDF-1.4\n%%EOF\n"
        ),
    )[1],
    "awards.issue_award_decision": _deciding,
    "sessions.end_user_sessions": lambda ops: (
        lambda: end_user_sessions(ops.uow(), ops.actor(ADMIN), FINANCE, ops.clock())
    ),
    "sessions.set_password": lambda ops: (
        lambda: set_password(ops.uow(), FINANCE, "a-new-password-2026", ops.clock())
    ),
    "incidents.open_incident": lambda ops: (
        t := _failing_script(ops)[1],
        lambda: _submit_failing(ops, t),
    )[1],
    "incidents.retry_incident": _retrying,
    "incidents.cancel_incident": lambda ops: (
        i := _incident(ops),
        lambda: cancel_incident(ops.uow(), ops.actor(ADMIN), i),
    )[1],
    "audit.checkpoint": lambda ops: (
        lambda: checkpoint(ops.uow(), ops.actor(AUDITOR), ops.key_path, ops.witness_dir)
    ),
    "audit_export.export": _exporting,
    "definitions.deploy": _deploying,
    "delegations.grant_delegation": lambda ops: (
        lambda: grant_delegation(
            ops.uow(), ops.actor(CHAIRMAN), SUBSTITUTE, date(2023, 4, 24), date(2023, 4, 28), "KT"
        )
    ),
    "delegations.revoke_delegation": _granted,
    "notifications.mark_read": _notified,
    "deadlines.email_pending": _emailing,
    "directory.load_directory": _new_user,
    "processes.start_process": lambda ops: lambda: _start(ops),
    "processes.copy_last_year": lambda ops: _copying(ops),
    "registers.set_next_number": lambda ops: (
        lambda: set_next_number(ops.uow(), ops.actor(ADMIN), "thanh-hoa-so-y-te", 2023, "KH", 83)
    ),
    "reorganisation.create_agency": lambda ops: _reorganising(
        ops, create_agency, code="x", name="Xã X", kind="commune", parent="thanh-hoa"
    ),
    "reorganisation.rename_agency": lambda ops: _reorganising(
        ops, rename_agency, "nga-son", name="Thị xã Nga Sơn"
    ),
    "reorganisation.merge_agency": lambda ops: _reorganising(
        ops, merge_agency, "nga-son", into="thuong-xuan"
    ),
    "reorganisation.split_agency": lambda ops: _reorganising(
        ops, split_agency, "nga-son", into=["thuong-xuan", "quan-son"], open_work_to="quan-son"
    ),
    "reorganisation.dissolve_agency": lambda ops: _reorganising(ops, dissolve_agency, "nga-son"),
    "reorganisation.move_agency": lambda ops: _reorganising(
        ops, move_agency, "nga-son-nga-lien", parent="thanh-hoa"
    ),
    "directory_import.import_agencies": lambda ops: _reorganising(
        ops,
        lambda uow, actor, effective: import_agencies(
            uow,
            actor,
            [(2, {"code": "x", "name": "Xã X", "kind": "commune", "parent": "thanh-hoa"})],
            effective,
        ),
    ),
    "users.create_user": lambda ops: (
        lambda: create_user(
            ops.uow(),
            ops.actor(ADMIN),
            username="thanhhoa.moi",
            full_name="Người dùng mới",
            agency="thanh-hoa-cong-an",
            roles=["standing_body"],
        )
    ),
    "users_import.import_users": lambda ops: (
        lambda: import_users(
            ops.uow(),
            ops.actor(ADMIN),
            [(2, {"username": "x.moi", "full_name": "X", "agency": "thanh-hoa-cong-an"})],
        )
    ),
    "users.set_roles": lambda ops: (
        lambda: set_roles(ops.uow(), ops.actor(ADMIN), FINANCE, ["finance", "supervisor"])
    ),
    "users.set_active": lambda ops: lambda: set_active(ops.uow(), ops.actor(ADMIN), FINANCE, False),
    "users.reset_password": lambda ops: (
        lambda: reset_password(ops.uow(), ops.actor(ADMIN), FINANCE)
    ),
    "users.reset_second_factor": lambda ops: (
        lambda: reset_second_factor(ops.uow(), ops.actor(ADMIN), CHAIRMAN)
    ),
    "users.seal_second_factors": lambda ops: lambda: seal_second_factors(ops.uow(), SYSTEM),
    "rendering.fail": _job_failing,
    "fanout.issue_batch": lambda ops: (_issuing(ops), lambda: issue_batch(ops.uow(), 4))[1],
    "fanout.issue_pending": lambda ops: (_issuing(ops), lambda: issue_pending(ops.uow, size=4))[1],
    "rendering.render_pending": lambda ops: (_issued(ops), lambda: render_pending(ops.uow))[1],
    "rendering.take_jobs": _jobs_due,
    "replay.replay": lambda ops: (p := _start(ops), lambda: replay(ops.uow(False), SYSTEM, p))[1],
    "scheduled_reorganisation.schedule_reorganisation": lambda ops: (
        ops.at("2025-06-30"),
        lambda: schedule_reorganisation(
            ops.uow(),
            ops.actor(ADMIN),
            action="move",
            agency="nga-son-nga-lien",
            arguments={"parent": "thanh-hoa"},
            effective=date(2025, 7, 1),
        ),
    )[1],
    "scheduled_reorganisation.apply": lambda ops: _reorganising(
        ops,
        lambda uow, actor, effective: apply(
            uow,
            actor,
            action="rename",
            agency="nga-son",
            arguments={"name": "X"},
            effective=effective,
        ),
    ),
    "scheduled_reorganisation.apply_due": _scheduled,
    "scheduler.fire_due_timers": _timer_due,
    "scheduler.tick": _ticking,
    "second_factor.disable_user": lambda ops: lambda: disable_user(ops.uow(), FINANCE),
    "second_factor.enrol": _enrolling,
    "second_factor.verify": _logging_in,
    "tasks.claim_task": lambda ops: (
        p := _start(ops),
        lambda: claim_task(ops.uow(), ops.actor(POLICE), ops.open_tasks(p)[0].id),
    )[1],
    "tasks.complete_task": _signing,
    "tasks.release_task": _claimed,
    "supervision.remind_task": lambda ops: (
        p := _overdue(ops),
        lambda: remind_task(ops.uow(), ops.actor(COLLEAGUE), ops.open_tasks(p)[0].id),
    )[1],
    "supervision.remind_units": lambda ops: (
        p := _overdue(ops),
        lambda: remind_units(ops.uow(), ops.actor(COLLEAGUE), [p]),
    )[1],
    "supervision.assign_task": lambda ops: (
        p := _start(ops),
        lambda: assign_task(ops.uow(), ops.actor(COLLEAGUE), ops.open_tasks(p)[0].id, POLICE),
    )[1],
}


def test_every_operation_is_classified() -> None:
    assert not set(CASES) & set(EXEMPT), "both a case and exempt"
    found = operations()
    assert found - set(CASES) - set(EXEMPT) == set(), "classify these: a case or an exemption"
    assert (set(CASES) | set(EXEMPT)) - found == set(), "these are gone: drop them"


# --- the check -----------------------------------------------------------------------------------

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
# each write of a batch (service.db.batch: on PostgreSQL, one statement of WITH queries)
_BATCHED = re.compile(
    r'\bAS\s*\(\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE
)


@contextmanager
def _commits(engine: Engine) -> Iterator[list[tuple[set[str], bool]]]:
    """Each commit on `engine` while open: (business tables it changed, whether it wrote an
    event), from the statements each transaction ran and the rows they touched."""
    pending: dict[int, tuple[set[str], list[bool]]] = {}
    done: list[tuple[set[str], bool]] = []

    def executed(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        match = _WRITE.match(statement)
        # a batch applies each of its writes or none (its row counts are checked); an INSERT
        # … RETURNING reports no rowcount before its rows are read: count it
        written = (
            _BATCHED.findall(statement)
            if statement.lstrip()[:4].upper() == "WITH"
            else []
            if match is None
            or (cursor.rowcount == 0 and not statement.lstrip()[:6].upper() == "INSERT")
            else [match.group(1)]
        )
        if not written:
            return
        tables, wrote = pending.setdefault(id(conn), (set(), [False]))
        for table in (name.lower() for name in written):
            if table == "event":
                wrote[0] = True
            elif table not in AUDIT_TABLES | QUEUES:
                tables.add(table)

    def committed(conn: Any) -> None:
        tables, wrote = pending.pop(id(conn), (set(), [False]))
        done.append((tables, wrote[0]))

    def rolled_back(conn: Any) -> None:
        pending.pop(id(conn), None)

    hooks = [("after_cursor_execute", executed), ("commit", committed), ("rollback", rolled_back)]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield done
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


def _snapshot(ops: Ops) -> dict[str, tuple[int, str]]:
    """Row count and a hash of the sorted rows of every business table."""
    with ops.factory() as session:
        shot = {}
        for table in BUSINESS:
            rows = sorted(repr(tuple(row)) for row in session.execute(select(table)))
            shot[table.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return shot


def _events(ops: Ops) -> int:
    with ops.factory() as session:
        return int(session.scalar(select(func.count()).select_from(Event)) or 0)


# Known to change state silently, not yet fixed: strict, so a fix shows here as a failure to
# be removed.
SILENT = "changes state without an event"
NOT_YET: set[str] = set()


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(reason=SILENT, strict=True)) if n in NOT_YET else n
        for n in sorted(CASES)
    ],
)
def test_an_operation_that_changes_state_records_an_event(ops: Ops, name: str) -> None:
    call = CASES[name](ops)
    before, events_before = _snapshot(ops), _events(ops)
    with _commits(ops.factory.kw["bind"]) as commits:
        call()
    after = _snapshot(ops)
    changed = sorted(t for t in after if after[t] != before[t])
    if changed:
        assert _events(ops) > events_before, f"{name} changed {changed} and recorded no event"
    silent = [sorted(tables) for tables, wrote in commits if tables and not wrote]
    assert silent == [], f"{name} committed changes to {silent} without an event"
    key = verifying_key(ops.key_path)
    report = verify(ops.uow(write=False), SYSTEM, ops.witness_dir, key)
    named = ("reason", "table", "field", "row_id")
    assert report["first_broken"] is None, [{k: b.get(k) for k in named} for b in report["breaks"]]


def test_the_check_catches_a_change_without_an_event(ops: Ops) -> None:
    """The check itself: a write with no event is seen, both by the snapshot and per commit."""
    before = _snapshot(ops)
    with _commits(ops.factory.kw["bind"]) as commits, ops.uow() as uow:
        uow.session.execute(update(User).where(User.username == UNIT).values(title="x"))
        uow.commit()
    assert _snapshot(ops)["user_account"] != before["user_account"]
    assert commits == [({"user_account"}, False)]

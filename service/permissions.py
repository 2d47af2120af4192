"""Who may do what: the one table of roles × rights.

Roles are held by users in the directory; a diagram's lanes name the roles that act on its
steps, and each process binds every lane to an agency (service.operations.processes), so
acting on a step is "your agency fills the step's lane and you hold its role" — checked per
task. Everything else a role allows is listed here. Operations take the actor and ask `require`;
pages ask `may` what to show; the route × role test derives its expectations from `RIGHTS`.

Reading a process is by participation (service.operations.reading), at one of two `Reading`
levels. `FULL`: the agencies bound in it or in a plan above it, and those holding `OVERSEE` for
its level: the whole process, its tasks, history, units and reports. Exporting and replaying a
process's audit record is open to every full reader (the operations check it): the record of a
plan is evidence for each agency that took part in it; the command line (`Role.SYSTEM`) exports
and replays any process. `ISSUED_PLAN`: once a plan is issued, the units it addressed, at any
depth below (a commune reads its district's plan and the province's above it), read the plan
as issued: its content, the deadlines it sets, its signed plan (KH) and who issued it; never
its drafts, history, tasks, reports, nor the other units' processes.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from service.errors import Forbidden


class Role(StrEnum):
    STANDING_BODY = "standing_body"  # drafts plans and consolidates reports (the Police)
    FINANCE = "finance"
    HOME_AFFAIRS = "home_affairs"
    CHAIRMAN = "chairman"  # the head of the agency: signs
    VICE_CHAIRMAN = "vice_chairman"  # a deputy: signs the head's tasks “KT.”
    OFFICE_CHIEF = "office_chief"  # Chánh Văn phòng: signs the committee's tasks “TL.”
    UNIT = "unit"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # The command line and the scheduler (service.operations.actors.SYSTEM): held by no user
    # (the directory refuses it), the operator at the shell holds the database anyway.
    SYSTEM = "system"


class Reading(StrEnum):
    """How much of a process an actor reads (see the module's docstring)."""

    FULL = "full"  # takes part in it, or oversees its level
    ISSUED_PLAN = "issued_plan"  # a unit it addressed: the plan as issued, read-only


class Right(StrEnum):
    START_PLAN = "start_plan"  # also: the agency must fill the first step's lane
    OVERSEE = "oversee"  # read every process of the levels one watches
    SEE_DASHBOARD = "see_dashboard"
    VERIFY_LOG = "verify_log"  # verify the audit log, read and sign its checkpoints
    DEPLOY = "deploy"  # deploy BPMN diagrams
    NAME_SUBSTITUTE = "name_substitute"  # ủy quyền: hand one's tasks to a substitute
    STAND_IN = "stand_in"  # be named a leader's substitute: only who may sign for an agency
    DEPUTIZE = "deputize"  # sign the head's tasks “KT.” as a standing rule
    SIGN_BY_ORDER = "sign_by_order"  # thừa lệnh: sign the committee head's tasks “TL.”
    RECEIVE_ESCALATIONS = "receive_escalations"  # overdue tasks of the agency reach them
    SECOND_FACTOR = "second_factor"  # must log in with a second factor (ASVS 5.0 6.3.2)
    MANAGE_REGISTER = "manage_register"  # set the next number of an agency's register
    READ_EVERY_PROCESS = "read_every_process"  # export or replay any process's audit record

    HANDLE_INCIDENTS = "handle_incidents"  # see failed diagram scripts; retry or cancel

    READ_SECURITY_LOG = "read_security_log"  # logins, failures, refusals (ASVS 5.0 16.3)
    END_SESSIONS = "end_sessions"  # end another user's sessions and tokens

    # issue a signed plan's award decision (QĐ khen thưởng) for the head of its signing agency:
    # in person, KT. as a deputy, TUQ. as a substitute (service.operations.awards)
    DECIDE_AWARDS = "decide_awards"

    # nhắc việc: remind the agency holding an open task of a process one supervises (a level
    # one oversees as a supervisor, or a plan one's agency signs as its head), at most daily
    REMIND = "remind"
    # give an open task of one's own agency to a named colleague who may act on it
    ASSIGN_TASKS = "assign_tasks"

    # has tasks to act on: lands in the inbox after login; the others (auditors, overseers
    # alone, administrators) land on the list of processes they read
    WORK_INBOX = "work_inbox"

    # create, rename, merge, split, dissolve and move agencies (service.operations.reorganisation)
    REORGANISE = "reorganise"
    # create users, set their roles, disable them, reset their password or second factor
    MANAGE_USERS = "manage_users"


RIGHTS: dict[Right, frozenset[Role]] = {
    Right.START_PLAN: frozenset({Role.STANDING_BODY}),
    Right.OVERSEE: frozenset({Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN}),
    # supervisors see their levels' campaigns, heads the plans their agency signs
    Right.SEE_DASHBOARD: frozenset(
        {Role.SUPERVISOR, Role.ADMIN, Role.CHAIRMAN, Role.VICE_CHAIRMAN}
    ),
    Right.VERIFY_LOG: frozenset({Role.AUDITOR, Role.ADMIN, Role.SYSTEM}),
    Right.DEPLOY: frozenset({Role.ADMIN, Role.SYSTEM}),
    Right.NAME_SUBSTITUTE: frozenset({Role.CHAIRMAN, Role.VICE_CHAIRMAN}),
    Right.STAND_IN: frozenset({Role.CHAIRMAN, Role.VICE_CHAIRMAN}),
    Right.DEPUTIZE: frozenset({Role.VICE_CHAIRMAN}),
    Right.SIGN_BY_ORDER: frozenset({Role.OFFICE_CHIEF}),
    Right.RECEIVE_ESCALATIONS: frozenset({Role.CHAIRMAN, Role.VICE_CHAIRMAN}),
    Right.SECOND_FACTOR: frozenset(
        {Role.ADMIN, Role.CHAIRMAN, Role.VICE_CHAIRMAN, Role.OFFICE_CHIEF}
    ),
    Right.MANAGE_REGISTER: frozenset({Role.ADMIN}),
    Right.READ_EVERY_PROCESS: frozenset({Role.SYSTEM}),
    Right.HANDLE_INCIDENTS: frozenset({Role.ADMIN}),
    Right.READ_SECURITY_LOG: frozenset({Role.ADMIN}),
    Right.END_SESSIONS: frozenset({Role.ADMIN}),
    Right.DECIDE_AWARDS: frozenset({Role.CHAIRMAN, Role.VICE_CHAIRMAN}),
    Right.REMIND: frozenset({Role.SUPERVISOR, Role.CHAIRMAN, Role.VICE_CHAIRMAN}),
    Right.ASSIGN_TASKS: frozenset({Role.SUPERVISOR, Role.CHAIRMAN, Role.VICE_CHAIRMAN}),
    Right.WORK_INBOX: frozenset(
        {
            Role.STANDING_BODY,
            Role.FINANCE,
            Role.HOME_AFFAIRS,
            Role.CHAIRMAN,
            Role.VICE_CHAIRMAN,
            Role.OFFICE_CHIEF,
            Role.UNIT,
        }
    ),
    Right.REORGANISE: frozenset({Role.ADMIN}),
    # the command line too: it resets the second factor of the administrator who lost theirs
    Right.MANAGE_USERS: frozenset({Role.ADMIN, Role.SYSTEM}),
}
# The role a deputy acts in for the head (Right.DEPUTIZE).
HEAD_ROLE: str = Role.CHAIRMAN.value  # a plain str: it is stored and hashed

# What a refusal says, by right: (error code, message).
_REFUSALS: dict[Right, tuple[str, str]] = {
    Right.START_PLAN: ("not_a_drafter", "Only a standing body starts a plan."),
    Right.OVERSEE: ("not_an_overseer", "Only supervisors, inspectors and administrators may."),
    Right.SEE_DASHBOARD: ("supervisors_only", "Only supervisors and heads of agencies see this."),
    Right.VERIFY_LOG: ("auditors_only", "Only auditors and administrators may do this."),
    Right.DEPLOY: ("admin_only", "Only administrators deploy diagrams."),
    Right.NAME_SUBSTITUTE: ("not_a_leader", "Only a leader may name a substitute."),
    Right.STAND_IN: ("not_a_signer", "Only a head or a deputy may stand in for a leader."),
    Right.DEPUTIZE: ("not_a_deputy", "Only a deputy signs for the head."),
    Right.SIGN_BY_ORDER: ("not_an_office_chief", "Only the office chief signs by order."),
    Right.RECEIVE_ESCALATIONS: ("not_a_head", "Only the head of an agency may."),
    Right.SECOND_FACTOR: ("not_a_signer", "Only administrators and signers may."),
    Right.MANAGE_REGISTER: ("admin_only", "Only administrators set a register's next number."),
    Right.READ_EVERY_PROCESS: ("not_your_process", "Your agency has no part in this process."),
    Right.HANDLE_INCIDENTS: ("admin_only", "Only administrators handle incidents."),
    Right.READ_SECURITY_LOG: ("admin_only", "Only administrators read the security log."),
    Right.END_SESSIONS: ("admin_only", "Only administrators end another user's sessions."),
    Right.DECIDE_AWARDS: ("not_a_head", "Only the head of an agency or a deputy decides awards."),
    Right.REMIND: ("not_a_supervisor", "Only supervisors and heads of agencies send reminders."),
    Right.ASSIGN_TASKS: (
        "not_a_supervisor",
        "Only supervisors and heads of agencies assign tasks.",
    ),
    Right.WORK_INBOX: ("no_tasks", "Your roles act on no step."),
    Right.REORGANISE: ("admin_only", "Only administrators reorganise the directory."),
    Right.MANAGE_USERS: ("admin_only", "Only administrators manage users."),
}


class HasRoles(Protocol):
    @property
    def roles(self) -> frozenset[str]: ...


def holders(right: Right) -> frozenset[Role]:
    return RIGHTS[right]


def may(who: HasRoles | frozenset[str] | set[str], right: Right) -> bool:
    roles = who if isinstance(who, frozenset | set) else who.roles
    return not RIGHTS[right].isdisjoint(roles)


def require(who: HasRoles, right: Right) -> None:
    """:raise Forbidden: none of the actor's roles has `right`."""
    if not may(who, right):
        raise Forbidden(*_REFUSALS[right])

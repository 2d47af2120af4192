"""Every route of the API and every page, called as every demo role, as a user of another
province's agency and as nobody, against a table that states who may (ASVS 5.0 8.2.2, 8.4.1);
every answer also carries the security headers.

The objects are real: a Thanh Hóa plan walked to Finance's appraisal (its open task, its done
draft) and a delegation of the chairman's. A route missing from the table fails the test, so
a new route has to be classified before it ships.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import Headers

from service.permissions import Right, may
from tests.conftest import DIRECTORY, PLAN_2023, ROOT, ApiClient, FakeClock
from tests.service.attached_samples import png
from tests.service.test_documents import documents, to_signature
from tests.web.conftest import Browser

# Who calls: one demo user per role of Thanh Hóa, a Bắc Giang user, nobody.
CALLERS: dict[str, str | None] = {
    "admin": "admin",
    "supervisor": "thanhhoa.vanphong",
    "chairman": "thanhhoa.chutich",
    "vice_chairman": "thanhhoa.phochutich",
    "standing_body": "thanhhoa.congan",
    "finance": "thanhhoa.taichinh",
    "home_affairs": "thanhhoa.thiduakhenthuong",
    "unit": "thanhhoa.soyte",
    "auditor": "thanhhoa.thanhtra",
    "other_agency": "bacgiang.congan",
    "anonymous": None,
}
SIGNED_IN = frozenset(CALLERS) - {"anonymous"}
# The chain's agencies and the province's overseers take part in the plan; units of the
# province only once it is issued to them; another province never.
PLAN_READERS = frozenset(
    {"admin", "supervisor", "chairman", "vice_chairman", "standing_body", "finance"}
    | {"home_affairs", "auditor"}
)
# The signed document is an earlier plan, issued to the province's departments and districts,
# Sở Y tế among them: the unit reads that plan as issued (its KH), not the process walked here.
ISSUED_PLAN_READERS = PLAN_READERS | {"unit"}
ROLES_OF = {u["username"]: frozenset(u["roles"]) for u in DIRECTORY["user"]}


def holding(right: Right) -> frozenset[str]:
    """The callers whose directory roles give them `right`, as the rights table says."""
    return frozenset(c for c, user in CALLERS.items() if user and may(ROLES_OF[user], right))


AUDITORS = holding(Right.VERIFY_LOG)
SUPERVISORS = holding(Right.SEE_DASHBOARD)  # the dashboards
# Who may start a plan: a standing body, at its own level (a department plans for itself).
STARTERS = holding(Right.START_PLAN)
LEADERS = holding(Right.NAME_SUBSTITUTE)
DEPLOYERS = holding(Right.DEPLOY)
REGISTRARS = holding(Right.MANAGE_REGISTER)
INCIDENT_HANDLERS = holding(Right.HANDLE_INCIDENTS)
REORGANISERS = holding(Right.REORGANISE)
USER_MANAGERS = holding(Right.MANAGE_USERS)
# a reorganisation dated in the future: refused (400) after the right is checked; nothing moves
LATER = "2999-01-01"

SECURITY_READERS = holding(Right.READ_SECURITY_LOG)
SESSION_ENDERS = holding(Right.END_SESSIONS)
# whose sessions an administrator ends in the table: nobody who calls in it
BYSTANDER = "ngason.congan"

# The plan's award decision: the head of its signing agency and his deputy (KT.); the plan
# walked here is not signed, so they get 409 (plan_not_signed) and nothing is issued.
DECIDERS = frozenset({"chairman", "vice_chairman"})
assert DECIDERS <= holding(Right.DECIDE_AWARDS)
# Sở Y tế's register: its own users, and those who oversee the province's levels.
REGISTER_READERS = holding(Right.OVERSEE) | {"unit"}
# Nhắc việc on the plan: its province's supervisor, and the Chairman who signs it (his deputy
# too); Finance's task is not due yet, so they get 409 (nothing to remind) and nothing is sent.
REMINDERS = holding(Right.REMIND) & {"supervisor", "chairman", "vice_chairman"}


@dataclass(frozen=True)
class Rule:
    """What a caller gets: `allowed` callers `ok`, other signed-in callers `denied`, and
    nobody `anonymous` (401 from the API, the login page for pages)."""

    allowed: frozenset[str]
    ok: int = 200
    denied: int = 403
    anonymous: int | None = None  # default: 401 for /api/, 302 to the login page otherwise
    # callers let through the access check who then find nothing to act on (404)
    empty: frozenset[str] = frozenset()

    def expect(self, caller: str, api: bool) -> int:
        if caller in self.empty:
            return 404
        if caller in self.allowed:
            return self.ok
        if caller == "anonymous":
            return self.anonymous if self.anonymous is not None else (401 if api else 302)
        return self.denied


EVERYONE = frozenset(CALLERS)
SECURITY_HEADERS = (  # on every answer, pages, API, assets and errors alike (ASVS 5.0 3.4)
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "X-Frame-Options",
)


@dataclass
class World:
    process: int  # the Thanh Hóa plan, at Finance's appraisal
    open_task: int  # Finance's appraisal
    done_task: int  # the Công an's draft
    delegation: int  # the chairman's, to the office
    document: int  # the province's signed plan of an earlier cycle, issued to its units
    bpmn: bytes
    attachment: int = 0  # a PNG Finance attached to the plan


Request = Callable[[World], dict[str, Any]]


def _json(body: Any) -> Request:
    return lambda w: {"json": body}


def _none(w: World) -> dict[str, Any]:
    return {}


def _campaign(w: World) -> dict[str, Any]:
    return {"query_string": {"campaign": w.process}}


# (method, rule) → (path's ids, the request, who may). Writes send input that is refused
# after the access check (400/422), or are harmless to repeat, so one walked world serves all.
TABLE: dict[tuple[str, str], tuple[Request, Rule]] = {
    # the API
    ("GET", "/api/v1/openapi.json"): (_none, Rule(EVERYONE)),
    ("POST", "/api/v1/auth/token"): (
        _json({"username": "thanhhoa.congan", "password": "wrong"}),
        Rule(frozenset(), denied=401, anonymous=401),
    ),
    ("GET", "/api/v1/me"): (_none, Rule(SIGNED_IN)),
    ("GET", "/api/v1/tasks"): (_none, Rule(SIGNED_IN)),
    ("GET", "/api/v1/tasks/counts"): (_none, Rule(SIGNED_IN)),
    ("GET", "/api/v1/notifications"): (_none, Rule(SIGNED_IN)),
    ("GET", "/api/v1/notifications/unread"): (_none, Rule(SIGNED_IN)),
    ("POST", "/api/v1/notifications/read"): (_none, Rule(SIGNED_IN)),
    ("POST", "/api/v1/notifications/<int:notification_id>/read"): (_none, Rule(SIGNED_IN, ok=404)),
    ("GET", "/api/v1/processes"): (_none, Rule(SIGNED_IN)),
    ("GET", "/api/v1/definitions"): (_none, Rule(SIGNED_IN)),
    ("POST", "/api/v1/definitions"): (
        lambda w: {"data": w.bpmn, "content_type": "application/xml"},
        Rule(DEPLOYERS),
    ),
    ("GET", "/api/v1/delegations"): (_none, Rule(SIGNED_IN)),
    ("POST", "/api/v1/delegations"): (
        _json(
            {"substitute": "nobody", "starts": "2023-05-01", "ends": "2023-05-02", "kind": "TUQ"}
        ),
        Rule(LEADERS, ok=400),
    ),
    ("DELETE", "/api/v1/delegations/<int:delegation_id>"): (
        _none,
        Rule(frozenset({"chairman"}), ok=204),
    ),
    ("POST", "/api/v1/processes"): (
        _json({"definition": "plan_chain", "title": "Kế hoạch thử quyền"}),
        Rule(STARTERS, ok=201),
    ),
    # a standing body copies its plan of the year before: Thanh Hóa's police has one (201),
    # the other callers who may start a plan have none before 2023 (404)
    ("POST", "/api/v1/processes/copy-last-year"): (
        _json({}),
        Rule(STARTERS, ok=201, empty=STARTERS - {"standing_body"}),
    ),
    ("GET", "/api/v1/processes/<int:process_id>"): (_none, Rule(PLAN_READERS)),
    ("GET", "/api/v1/processes/<int:process_id>/children"): (_none, Rule(PLAN_READERS)),
    ("GET", "/api/v1/processes/<int:process_id>/missing"): (_none, Rule(PLAN_READERS)),
    ("GET", "/api/v1/processes/<int:process_id>/consolidated"): (_none, Rule(PLAN_READERS)),
    ("GET", "/api/v1/processes/<int:process_id>/history"): (_none, Rule(PLAN_READERS)),
    ("GET", "/api/v1/processes/<int:process_id>/export"): (_none, Rule(PLAN_READERS)),
    ("GET", "/api/v1/processes/<int:process_id>/replay"): (_none, Rule(PLAN_READERS)),
    ("GET", "/api/v1/tasks/<int:task_id>"): (_none, Rule(frozenset({"finance"}))),
    ("POST", "/api/v1/tasks/<int:task_id>/claim"): (
        _none,
        Rule(frozenset({"finance"}), ok=204),
    ),
    ("DELETE", "/api/v1/tasks/<int:task_id>/claim"): (
        _none,
        Rule(frozenset({"finance"}), ok=204),
    ),
    ("POST", "/api/v1/tasks/<int:task_id>/complete"): (
        _json({"decision": "no-such-decision"}),
        Rule(frozenset({"finance"}), ok=400),
    ),
    ("GET", "/api/v1/health"): (_none, Rule(EVERYONE)),
    ("POST", "/api/v1/tasks/<int:task_id>/remind"): (_none, Rule(REMINDERS, ok=409)),
    ("POST", "/api/v1/notifications/reminders"): (
        lambda w: {"json": {"processes": [w.process]}},
        Rule(REMINDERS, ok=409),
    ),
    # Finance's task: only Sở Tài chính's own supervisor or head would assign it; none calls
    ("POST", "/api/v1/tasks/<int:task_id>/assign"): (
        _json({"assignee": "thanhhoa.taichinh"}),
        Rule(frozenset()),
    ),
    ("GET", "/api/v1/dashboard/campaigns"): (_none, Rule(SUPERVISORS)),
    ("GET", "/api/v1/dashboard/steps"): (_campaign, Rule(SUPERVISORS)),
    ("GET", "/api/v1/dashboard/agencies"): (_campaign, Rule(SUPERVISORS)),
    ("GET", "/api/v1/dashboard/units"): (_campaign, Rule(SUPERVISORS)),
    ("GET", "/api/v1/dashboard/trend"): (_campaign, Rule(SUPERVISORS)),
    ("GET", "/api/v1/dashboard/compare"): (_campaign, Rule(SUPERVISORS)),
    ("GET", "/api/v1/processes/<int:process_id>/documents"): (_none, Rule(PLAN_READERS)),
    ("GET", "/api/v1/processes/<int:process_id>/award-decision"): (_none, Rule(PLAN_READERS)),
    ("POST", "/api/v1/processes/<int:process_id>/award-decision"): (
        _none,
        Rule(DECIDERS, ok=409),
    ),
    ("GET", "/api/v1/processes/<int:process_id>/draft/<any(docx, pdf):fmt>"): (
        _none,
        Rule(PLAN_READERS),
    ),
    ("GET", "/api/v1/documents/<int:document_id>/<any(docx, pdf):fmt>"): (
        _none,
        Rule(ISSUED_PLAN_READERS),
    ),
    ("POST", "/api/v1/documents/check"): (
        lambda w: {"data": {"file": (io.BytesIO(b"not a document"), "x.docx")}},
        Rule(SIGNED_IN),
    ),
    ("GET", "/api/v1/processes/<int:process_id>/conversation"): (_none, Rule(PLAN_READERS)),
    ("POST", "/api/v1/processes/<int:process_id>/comments"): (
        _json({"body": "Xin ý kiến", "mentions": ["no-such-agency"]}),
        Rule(PLAN_READERS, ok=400),
    ),
    ("POST", "/api/v1/processes/<int:process_id>/attachments"): (
        lambda w: {"data": {"file": (io.BytesIO(b"MZ\x90\x00"), "x.pdf")}},
        Rule(PLAN_READERS, ok=400),
    ),
    ("GET", "/api/v1/attachments/<int:attachment_id>"): (_none, Rule(PLAN_READERS)),
    ("GET", "/api/v1/audit/verify"): (_none, Rule(AUDITORS)),
    ("GET", "/api/v1/registers/<agency_code>/<int:year>"): (_none, Rule(REGISTER_READERS)),
    ("PUT", "/api/v1/registers/<agency_code>/<int:year>/<kind>"): (
        _json({"next_number": 1}),  # an empty register's next number: a no-op, harmless
        Rule(REGISTRARS),
    ),
    ("POST", "/api/v1/audit/checkpoints"): (_none, Rule(AUDITORS, ok=201)),
    ("GET", "/api/v1/audit/checkpoints/latest"): (_none, Rule(AUDITORS)),
    ("GET", "/api/v1/incidents"): (_none, Rule(INCIDENT_HANDLERS)),
    # no incident in the world: the right is checked first, then the incident is not found
    ("POST", "/api/v1/incidents/<int:incident_id>/retry"): (
        _none,
        Rule(INCIDENT_HANDLERS, ok=404),
    ),
    ("POST", "/api/v1/incidents/<int:incident_id>/cancel"): (
        _none,
        Rule(INCIDENT_HANDLERS, ok=404),
    ),
    ("GET", "/api/v1/security-log"): (_none, Rule(SECURITY_READERS)),
    ("DELETE", "/api/v1/users/<username>/sessions"): (_none, Rule(SESSION_ENDERS)),
    ("POST", "/api/v1/agencies"): (
        _json({"code": "thanh-hoa", "name": "X", "kind": "commune", "effective": LATER}),
        Rule(REORGANISERS, ok=400),  # the code is taken
    ),
    ("POST", "/api/v1/agencies/import"): (_none, Rule(REORGANISERS, ok=400)),  # no file
    ("POST", "/api/v1/users/import"): (_none, Rule(USER_MANAGERS, ok=400)),  # no file
    ("GET", "/api/v1/agencies/scheduled"): (_none, Rule(REORGANISERS)),
    ("POST", "/api/v1/agencies/scheduled"): (
        _json({"action": "rename", "agency": "thanh-hoa", "effective": "2023-01-01"}),
        Rule(REORGANISERS, ok=400),  # the past: applied at once, never scheduled
    ),
    ("GET", "/api/v1/users/export"): (_none, Rule(USER_MANAGERS)),
    ("POST", "/api/v1/agencies/<code>/rename"): (
        _json({"name": "X", "effective": LATER}),
        Rule(REORGANISERS, ok=400),
    ),
    ("POST", "/api/v1/agencies/<code>/merge"): (
        _json({"into": "bac-giang", "effective": LATER}),
        Rule(REORGANISERS, ok=400),
    ),
    ("POST", "/api/v1/agencies/<code>/split"): (
        _json({"into": ["bac-giang"], "open_work_to": "bac-giang", "effective": LATER}),
        Rule(REORGANISERS, ok=400),
    ),
    ("POST", "/api/v1/agencies/<code>/dissolve"): (
        _json({"effective": LATER}),
        Rule(REORGANISERS, ok=400),
    ),
    ("POST", "/api/v1/agencies/<code>/move"): (
        _json({"parent": "bac-giang", "effective": LATER}),
        Rule(REORGANISERS, ok=400),
    ),
    # the pages
    ("GET", "/"): (_none, Rule(EVERYONE, ok=302)),
    ("GET", "/assets/<path:filename>"): (_none, Rule(EVERYONE)),
    ("GET", "/static/<path:filename>"): (_none, Rule(frozenset(), denied=404, anonymous=404)),
    ("GET", "/login"): (_none, Rule(frozenset({"anonymous"}), denied=302)),
    ("POST", "/login"): (
        lambda w: {"data": {"username": "thanhhoa.congan", "password": "wrong"}},
        Rule(EVERYONE, ok=401),
    ),
    ("GET", "/login/code"): (_none, Rule(EVERYONE, ok=302)),  # nobody owes a code here
    ("POST", "/login/code"): (lambda w: {"data": {"code": "123456"}}, Rule(EVERYONE, ok=302)),
    ("GET", "/login/enrol"): (_none, Rule(EVERYONE, ok=302)),
    ("POST", "/login/enrol"): (lambda w: {"data": {"code": "123456"}}, Rule(EVERYONE, ok=302)),
    ("POST", "/logout"): (_none, Rule(SIGNED_IN, ok=302)),
    ("POST", "/language"): (lambda w: {"data": {"lang": "en"}}, Rule(EVERYONE, ok=302)),
    ("GET", "/inbox"): (_none, Rule(SIGNED_IN)),
    ("GET", "/notifications"): (_none, Rule(SIGNED_IN)),
    ("POST", "/notifications/read"): (_none, Rule(SIGNED_IN, ok=302)),
    ("POST", "/notifications/<int:notification_id>/read"): (_none, Rule(SIGNED_IN, ok=404)),
    ("GET", "/delegations"): (_none, Rule(SIGNED_IN)),
    ("POST", "/delegations"): (
        lambda w: {"data": {"substitute": "nobody", "starts": "01/05/2023", "ends": "x"}},
        Rule(SIGNED_IN, ok=422),  # the form's own checks first; the grant refuses non-leaders
    ),
    ("POST", "/delegations/<int:delegation_id>/revoke"): (
        _none,
        Rule(frozenset({"chairman"}), ok=302),
    ),
    ("GET", "/processes/new"): (_none, Rule(SIGNED_IN)),
    ("GET", "/processes"): (_none, Rule(SIGNED_IN)),
    ("GET", "/processes.<any(csv, xlsx):fmt>"): (_none, Rule(SIGNED_IN)),
    ("POST", "/processes/new"): (
        lambda w: {"data": {"definition": "plan_chain", "title": "Kế hoạch thử quyền"}},
        Rule(STARTERS, ok=302),
    ),
    ("POST", "/processes/copy-last-year"): (_none, Rule(STARTERS, ok=302)),
    ("GET", "/processes/<int:process_id>"): (_none, Rule(PLAN_READERS)),
    ("GET", "/processes/<int:process_id>/diagram.bpmn"): (_none, Rule(PLAN_READERS)),
    ("GET", "/processes/<int:process_id>/audit-export"): (_none, Rule(PLAN_READERS)),
    ("GET", "/processes/<int:process_id>/replay"): (_none, Rule(PLAN_READERS)),
    ("GET", "/tasks/<int:task_id>"): (_none, Rule(frozenset({"finance"}))),
    # a signing's preview: the task's own agency and role; Finance's appraisal signs nothing
    ("GET", "/tasks/<int:task_id>/preview.pdf"): (_none, Rule(frozenset({"finance"}), ok=409)),
    ("GET", "/api/v1/tasks/<int:task_id>/signing"): (
        _none,
        Rule(frozenset({"finance"}), ok=409),
    ),
    ("GET", "/api/v1/tasks/<int:task_id>/signing/preview.pdf"): (
        _none,
        Rule(frozenset({"finance"}), ok=409),
    ),
    ("POST", "/tasks/<int:task_id>"): (  # refused: kept as the draft, then back to the page
        lambda w: {"data": {"decision": "no-such-decision"}},
        Rule(frozenset({"finance"}), ok=303),
    ),
    ("POST", "/tasks/<int:task_id>/draft"): (_none, Rule(frozenset({"finance"}), ok=303)),
    ("GET", "/api/v1/tasks/<int:task_id>/draft"): (_none, Rule(frozenset({"finance"}))),
    ("PUT", "/api/v1/tasks/<int:task_id>/draft"): (
        _json({"fields": [["comment", "nháp"]]}),
        Rule(frozenset({"finance"})),
    ),
    ("POST", "/tasks/<int:task_id>/claim"): (_none, Rule(frozenset({"finance"}), ok=302)),
    ("POST", "/tasks/<int:task_id>/release"): (_none, Rule(frozenset({"finance"}), ok=302)),
    ("GET", "/dashboard"): (_none, Rule(SUPERVISORS, ok=302)),  # to the latest campaign
    ("GET", "/dashboard/<int:campaign_id>"): (_none, Rule(SUPERVISORS)),
    ("POST", "/dashboard/<int:campaign_id>/remind"): (_none, Rule(REMINDERS, ok=302)),
    ("POST", "/tasks/<int:task_id>/remind"): (_none, Rule(REMINDERS, ok=302)),
    ("POST", "/tasks/<int:task_id>/assign"): (_none, Rule(frozenset(), ok=302)),
    ("GET", "/dashboard/<int:campaign_id>/trend.svg"): (_none, Rule(SUPERVISORS)),
    ("GET", "/dashboard/<int:campaign_id>/<view>.<fmt>"): (_none, Rule(SUPERVISORS)),
    ("GET", "/processes/<int:process_id>/draft/<any(docx, pdf):fmt>"): (_none, Rule(PLAN_READERS)),
    ("POST", "/processes/<int:process_id>/award-decision"): (_none, Rule(DECIDERS, ok=409)),
    ("GET", "/documents/<int:document_id>/<any(docx, pdf):fmt>"): (
        _none,
        Rule(ISSUED_PLAN_READERS),
    ),
    ("GET", "/documents/check"): (_none, Rule(SIGNED_IN)),
    ("POST", "/documents/check"): (
        lambda w: {"data": {"file": (io.BytesIO(b"not a document"), "x.docx")}},
        Rule(SIGNED_IN),
    ),
    ("POST", "/processes/<int:process_id>/comments"): (
        lambda w: {"data": {"body": "Xin ý kiến", "mentions": ["no-such-agency"]}},
        Rule(PLAN_READERS, ok=400),
    ),
    ("POST", "/processes/<int:process_id>/attachments"): (
        lambda w: {"data": {"file": (io.BytesIO(b"MZ\x90\x00"), "x.pdf")}},
        Rule(PLAN_READERS, ok=400),
    ),
    ("GET", "/attachments/<int:attachment_id>"): (_none, Rule(PLAN_READERS)),
    ("GET", "/attachments/<int:attachment_id>/preview"): (_none, Rule(PLAN_READERS)),
    ("GET", "/audit"): (_none, Rule(AUDITORS)),
    ("GET", "/registers"): (_none, Rule(SIGNED_IN)),
    ("GET", "/registers/<agency_code>/<int:year>"): (_none, Rule(REGISTER_READERS)),
    ("POST", "/registers/<agency_code>/<int:year>"): (
        lambda w: {"data": {"kind": "QĐ", "next_number": "1"}},
        Rule(REGISTRARS, ok=302),
    ),
    ("GET", "/registers/<agency_code>/<int:year>.<fmt>"): (_none, Rule(REGISTER_READERS)),
    ("POST", "/audit"): (_none, Rule(AUDITORS)),
    ("GET", "/incidents"): (_none, Rule(INCIDENT_HANDLERS)),
    ("POST", "/incidents/<int:incident_id>/retry"): (_none, Rule(INCIDENT_HANDLERS, ok=404)),
    ("POST", "/incidents/<int:incident_id>/cancel"): (_none, Rule(INCIDENT_HANDLERS, ok=404)),
    ("GET", "/account/sessions"): (_none, Rule(SIGNED_IN)),
    # nobody's own session: a session id of another user's is a 404 to everyone
    ("POST", "/account/sessions/<int:session_id>/end"): (
        _none,
        Rule(frozenset(), denied=404),
    ),
    ("POST", "/account/sessions/end-others"): (_none, Rule(SIGNED_IN, ok=302)),
    ("GET", "/security-log"): (_none, Rule(SECURITY_READERS)),
    ("GET", "/admin/agencies"): (_none, Rule(REORGANISERS)),
    ("GET", "/admin/agencies/import"): (_none, Rule(REORGANISERS)),
    ("POST", "/admin/agencies/import"): (_none, Rule(REORGANISERS, ok=422)),  # no file
    ("GET", "/admin/agencies/reorganise"): (_none, Rule(REORGANISERS)),
    ("POST", "/admin/agencies/reorganise"): (_none, Rule(REORGANISERS, ok=422)),  # empty form
    ("GET", "/admin/users"): (_none, Rule(USER_MANAGERS)),
    ("POST", "/admin/users"): (
        lambda w: {"data": {"username": "", "full_name": "X", "agency": "thanh-hoa"}},
        Rule(USER_MANAGERS, ok=422),
    ),
    # the bystander's: roles refused (an unknown role), enabled (already), a new password, and
    # a second factor reset (none set up): nobody who calls in the table is touched
    ("GET", "/admin/users/import"): (_none, Rule(USER_MANAGERS)),
    ("POST", "/admin/users/import"): (_none, Rule(USER_MANAGERS, ok=422)),  # no file
    ("GET", "/admin/users/export.<any(csv, xlsx):fmt>"): (_none, Rule(USER_MANAGERS)),
    ("POST", "/admin/users/<username>/roles"): (
        lambda w: {"data": {"roles": "no-such-role"}},
        Rule(USER_MANAGERS, ok=422),
    ),
    ("POST", "/admin/users/<username>/active"): (
        lambda w: {"data": {"active": "1"}},
        Rule(USER_MANAGERS, ok=302),
    ),
    ("POST", "/admin/users/<username>/password"): (_none, Rule(USER_MANAGERS, ok=302)),
    ("POST", "/admin/users/<username>/second-factor"): (_none, Rule(USER_MANAGERS, ok=302)),
    ("POST", "/security-log/end-sessions"): (
        lambda w: {"data": {"username": BYSTANDER}},
        Rule(SESSION_ENDERS, ok=302),
    ),
}


def _path(rule: str, world: World) -> str:
    return (
        rule.replace("<int:process_id>", str(world.process))
        .replace("<int:task_id>", str(world.open_task))
        .replace("<int:delegation_id>", str(world.delegation))
        .replace("<int:campaign_id>", str(world.process))
        .replace("<int:document_id>", str(world.document))
        .replace("<int:incident_id>", "999999")
        .replace("<int:notification_id>", "999999")
        .replace("<any(docx, pdf):fmt>", "docx")
        .replace("<any(csv, xlsx):fmt>", "csv")
        .replace("<view>.<fmt>", "steps.csv")
        .replace("<agency_code>", "thanh-hoa-so-y-te")
        .replace("<int:year>.<fmt>", "2030.xlsx")
        .replace("<int:year>", "2030")
        .replace("<kind>", "QĐ")
        .replace("<path:filename>", "css/app.css")
        .replace("<int:session_id>", "999999")
        .replace("<int:attachment_id>", str(world.attachment))
        .replace("<username>", BYSTANDER)
        .replace("<code>", "thanh-hoa")
    )


def _routes(app: Flask) -> Iterator[tuple[str, str]]:
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_route_is_in_the_table(app: Flask) -> None:
    routes = set(_routes(app))
    assert sorted(routes - set(TABLE)) == [], "classify the new routes in TABLE"
    assert sorted(set(TABLE) - routes) == [], "routes in TABLE that no longer exist"


def test_nobody_learns_what_a_route_accepts_before_signing_in(app: Flask) -> None:
    client = app.test_client()
    world = World(process=1, open_task=1, done_task=1, delegation=1, document=1, bpmn=b"")
    public = {("GET", "/api/v1/openapi.json"), ("POST", "/api/v1/auth/token")}
    public |= {("GET", "/api/v1/health")}
    for method, rule in set(_routes(app)) - public:
        if rule.startswith("/api/"):
            path = _path(rule, world) + "?no_such_parameter=1"
            with client.open(path, method=method, data="{", content_type="application/json") as a:
                assert a.status_code == 401, (method, rule, a.status_code)


@pytest.fixture
def world(app: Flask, api: ApiClient, clock: FakeClock, tmp_path: Path) -> World:
    app.config.update(AUDIT_KEY_PATH=tmp_path / "key.pem", WITNESS_DIR=tmp_path / "witness")
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"  # one test logs in as everyone
    app.config["LOGIN_ADDRESS_LIMIT"] = "1000 per minute"  # and fails to, from one address
    signing = to_signature(api)  # an earlier plan, signed: its document
    assert api.complete("thanhhoa.chutich", signing, "approve").status_code == 200
    signed = api.get(f"/api/v1/tasks/{signing}", "thanhhoa.chutich").json["process_id"]
    (document, *_) = documents(api, signed)
    process = api.start_plan("thanhhoa.congan")
    (draft,) = api.get(f"/api/v1/tasks?process={process}", "thanhhoa.congan").json
    assert api.complete("thanhhoa.congan", draft["id"], "submit", data=PLAN_2023).status_code == 200
    (appraisal,) = api.get(f"/api/v1/tasks?process={process}", "thanhhoa.taichinh").json
    path, fields = f"/api/v1/tasks/{appraisal['id']}/draft", {"fields": [["comment", "nháp"]]}
    assert api.call("PUT", path, "thanhhoa.taichinh", json=fields).status_code == 200  # to read
    today = clock().date()
    grant = api.post(
        "/api/v1/delegations",
        "thanhhoa.chutich",
        json={
            "substitute": "thanhhoa.vanphong.chanhvanphong",
            "starts": str(today + timedelta(days=30)),
            "ends": str(today + timedelta(days=31)),
            "kind": "TUQ",
        },
    )
    assert grant.status_code == 201, grant.json
    bpmn = (ROOT / "bpmn" / "plan_chain.bpmn").read_bytes()
    attached = api.post(
        f"/api/v1/processes/{process}/attachments",
        "thanhhoa.taichinh",
        data={"file": (io.BytesIO(png()), "anh.png")},
    )
    assert attached.status_code == 201, attached.json
    return World(
        process,
        appraisal["id"],
        draft["id"],
        grant.json["id"],
        document["id"],
        bpmn,
        attached.json["id"],
    )


class Caller:
    """One caller's bearer token and page session, the cookie put back before each call so
    that a new login in one row leaves the next row as it was; a logout ends the session on
    the server, so the caller logs in again after it."""

    def __init__(self, app: Flask, api: ApiClient, username: str | None) -> None:
        self.client: FlaskClient = app.test_client()
        self.username = username
        self.headers: dict[str, str] = {}
        if username is not None:
            self.headers = {"Authorization": f"Bearer {api.login(username)}"}
        self._log_in()

    def _log_in(self) -> None:
        browser = Browser(self.client)
        if self.username is None:
            browser.get("/login")
        else:
            browser.login(self.username)
        self.csrf = browser.token
        cookie = self.client.get_cookie("antq_session")
        assert cookie is not None
        self.cookie = cookie.value

    def call(self, method: str, path: str, request: dict[str, Any]) -> tuple[int, Headers]:
        self.client.set_cookie("antq_session", self.cookie)
        kwargs = dict(request)
        if path.startswith("/api/"):
            kwargs["headers"] = self.headers
        elif method != "GET":
            kwargs["data"] = {**kwargs.get("data", {}), "csrf_token": self.csrf}
        with self.client.open(path, method=method, **kwargs) as answer:
            status, headers = answer.status_code, answer.headers
        if path == "/logout" and self.username is not None:
            self._log_in()
        return status, headers


def test_every_route_as_every_role_and_another_agency(
    app: Flask, api: ApiClient, world: World
) -> None:
    callers = {name: Caller(app, api, user) for name, user in CALLERS.items()}
    wrong: list[str] = []
    checked = 0
    order = {"GET": 0, "POST": 1, "PUT": 1, "DELETE": 2}  # a claim before its release
    for method, rule in sorted(_routes(app), key=lambda r: (r[1], order[r[0]])):
        request, expected = TABLE[method, rule]
        path = _path(rule, world)
        for name, caller in callers.items():
            status, headers = caller.call(method, path, request(world))
            want = expected.expect(name, path.startswith("/api/"))
            checked += 1
            if status != want:
                wrong.append(f"{method} {rule} as {name}: {status}, expected {want}")
            if name == "anonymous" and status == 302 and want != expected.ok:
                if not headers["Location"].startswith("/login"):
                    wrong.append(f"{method} {rule} as nobody: sent to {headers['Location']}")
            missing = [h for h in SECURITY_HEADERS if h not in headers]
            if missing:
                wrong.append(f"{method} {rule} as {name}: no {', '.join(missing)}")
    print(f"route matrix: {len(TABLE)} routes × {len(callers)} callers = {checked} checks")
    assert wrong == [], "\n".join(wrong)

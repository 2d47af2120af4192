"""Issuing a signed plan or report as an official document: its number and its content.

Called inside the signing's transaction. The number comes from the agency's register by one
upsert, which holds the register row until the signing commits: simultaneous signings get
consecutive numbers, and a signing that fails or rolls back gives its number back (no gaps).
The files are not made here: the signing stores the document's content and a render job, and
a worker (service.operations.rendering) renders them after the commit, outside the lock.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, insert, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from service.db.batch import Batch
from service.db.models import Agency, Document, ProcessInstance, Register, Task
from service.db.tables import DOCUMENTS, RENDER_JOBS
from service.documents.content import (
    Issuer,
    Signing,
    UnitFigures,
    plan_document,
    report_document,
)
from service.documents.keys import KeyStore, certificate_problem, seal_label, user_label
from service.documents.layout import KINDS, PLAN_KIND, REPORT_KIND, OfficialDocument, to_data
from service.errors import Conflict
from service.operations.actors import HEAD_TITLES, OTHER_HEAD, Actor
from service.operations.agency_cache import agencies_with_parents
from service.operations.cascade import UnitReport, unit_reports
from service.operations.directory import LEVEL_KINDS
from service.operations.instances import append_event
from service.permissions import HEAD_ROLE, Role
from service.states import DocumentState
from workflows.calendar import local_day

# "Tỉnh Thanh Hóa" → "Thanh Hóa": the place name in the date line (địa danh).
_LEVEL_PREFIX = re.compile(r"^(Tỉnh|Thành phố|Thị xã|Thị trấn|Huyện|Quận|Xã|Phường)\s+")
RECIPIENTS_FILE = Path(__file__).parents[1] / "report_recipients.toml"
_ROLE = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=1)
def recipients_policy() -> dict[str, Any]:
    """Who a report is sent to, as data (service/report_recipients.toml)."""
    return tomllib.loads(RECIPIENTS_FILE.read_text(encoding="utf-8"))


def take_number(session: Session, agency_id: int, year: int, symbol: str) -> int:
    """The next number in the agency's register of `symbol` ("KH-BCĐ") for the year, from 1."""
    return _take(session, agency_id, year, symbol, with_id=False)[0]


def _take(
    session: Session,
    agency_id: int,
    year: int,
    symbol: str,
    *,
    with_id: bool,
    above: tuple[int, bool] | None = None,
) -> tuple[int, int | None, Above | None]:
    """`take_number`'s number, and `with_id` on PostgreSQL the id the document will have (its
    sequence's next value, in the same round trip), so that the document's row can go with
    the completion's batch; None on SQLite, where the insert gives the id. `above`: the
    parent's id and whether the document cites its plan; on PostgreSQL, with `with_id`, what
    the document takes from it (_read_above's) comes in the same round trip, else None."""
    params: dict[str, Any] = {"p_agency": agency_id, "p_year": year, "p_symbol": symbol}
    params["p_kind"] = symbol.partition("-")[0]
    dialect = session.get_bind().dialect.name
    reserve = with_id and dialect == "postgresql"
    joined = above if reserve else None  # SQLite: no INSERT in a WITH
    asked = None
    if joined is not None:
        params["parent"], cite = joined
        asked = (_informed_roles(), cite)
    row = session.execute(_take_statement(dialect, reserve, asked), params).one()
    facts = None if joined is None else _above_of(row[2:], joined[1])
    return int(row[0]), (int(row[1]) if reserve else None), facts


@lru_cache(maxsize=8)
def _take_statement(
    dialect: str, reserve: bool, above: tuple[tuple[str, ...], bool] | None = None
) -> Any:
    """`take_number`'s upsert for the dialect, built once (statements are immutable);
    `reserve`: returning the next document id as well (PostgreSQL); `above`: and `_above`'s
    row (its arguments), the upsert then in a WITH (PostgreSQL)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, Register.__table__)
    returned: list[Any] = [table.c.last_number]
    if reserve:
        document_id = func.nextval(func.pg_get_serial_sequence(DOCUMENTS.name, "id"))
        returned.append(document_id.label("document_id"))
    upsert = (
        insert(table)
        .values(
            agency_id=bindparam("p_agency"),
            year=bindparam("p_year"),
            symbol=bindparam("p_symbol"),
            kind=bindparam("p_kind"),
            last_number=1,
        )
        .on_conflict_do_update(
            index_elements=["agency_id", "year", "symbol"],
            set_={"last_number": table.c.last_number + 1},
        )
        .returning(*returned)
    )
    if above is None:
        return upsert
    # its snapshot may predate the register's lock: what it reads of the process above
    # (the directory's names, a plan issued long before) is as it was a moment earlier
    taken, facts = upsert.cte("taken"), _above(*above).subquery("above")
    return select(taken, facts).select_from(taken.join(facts, true()))  # a row each


def next_number(session: Session, agency_id: int, year: int, symbol: str) -> int:
    """The number `take_number` would give now, read without locking or taking it: indicative,
    another signing may take it first."""
    last = session.scalar(
        select(Register.last_number).where(
            Register.agency_id == agency_id, Register.year == year, Register.symbol == symbol
        )
    )
    return (last or 0) + 1


def to_sign(
    session: Session, instance: ProcessInstance, task: Task, now: datetime
) -> tuple[OfficialDocument, int]:
    """What a signing task would issue, unnumbered and unsigned, and the number it would take
    if signed now (`next_number`). A plan (KH), or the report (BC) of the task's round.

    :raise Conflict: `no_draft`, nothing drafted yet to sign.
    """
    agency = session.get_one(Agency, task.agency_id)
    report = None
    if task.report_round is not None:
        report = instance.report_drafts.get(task.report_round)
        if report is None:
            raise Conflict("no_draft", "Nothing has been drafted yet.")
    elif "title" not in instance.document:
        raise Conflict("no_draft", "Nothing has been drafted yet.")
    unsigned = Signing(None, None, "", None)
    document = official_document(session, instance, agency, unsigned, report, task.report_round)
    number = next_number(session, agency.id, local_day(now).year, document.symbol)
    return document, number


CERTIFICATE_PROBLEMS = {
    "expired": "The certificate of {holder} has expired or is not yet valid: it cannot sign.",
    "revoked": "The certificate of {holder} has been revoked: it cannot sign.",
    "untrusted": "The certificate of {holder} is not from the configured authority: it cannot "
    "sign.",
}


def check_signing_keys(
    session: Session,
    keys: KeyStore | None,
    actor: Actor,
    agency_id: int,
    at: datetime,
    issued_as: str | None = None,
) -> None:
    """Before a signing takes its number: the certificates of the signer and of the issuing
    agency that the store holds may sign at `at` (their dates, the CA's revocation lists, the
    chain). Without a store the PDF goes out unsigned, and there is nothing to check.
    `issued_as`: the symbol of the body the document is issued as, when not the agency's own.

    :raise Conflict: `signing_key_missing` (the store holds no key for them),
        `certificate_expired`, `certificate_revoked` or `certificate_untrusted`, with `holder`,
        the name of the person or agency whose certificate it is.
    """
    if keys is None:
        return
    agency = session.get_one(Agency, agency_id)
    issuer = _issuer(agency, issued_as)  # the seal is the issuing body's (keys.seal_label)
    seal = seal_label(agency.code, agency.abbreviation, issuer.symbol("X"))
    holders = {user_label(actor.username): actor.full_name, seal: issuer.name}
    roots, crls = keys.trust_roots(), keys.crls()
    try:
        with keys.signers(holders) as found:  # certificates read while the token is open
            problems = [
                (label, certificate_problem(signer.signing_cert, roots, crls, at))
                for label, signer in found.items()
            ]
    except Exception as err:  # a token unplugged, a wrong PIN, two keys under one label
        raise Conflict(
            "signing_key_unavailable",
            f"The signing keys cannot be read ({type(err).__name__}): nothing was signed.",
        ) from err
    for label, holder in holders.items():
        if label not in found:  # signing would go out without this signature
            raise Conflict(
                "signing_key_missing",
                f"{holder} has no signing key and certificate in the key store: nothing was "
                "signed.",
                holder=holder,
            )
    for label, problem in problems:
        if problem is not None:
            holder = holders[label]
            message = CERTIFICATE_PROBLEMS[problem].format(holder=holder)
            raise Conflict(f"certificate_{problem}", message, holder=holder)


def issue_document(
    session: Session,
    instance: ProcessInstance,
    task: Task,
    actor: Actor,
    now: datetime,
    batch: Batch,
    report: dict[str, Any] | None = None,
    units: Mapping[str, Agency] | None = None,
    reported: list[UnitReport] | None = None,
) -> Issued:
    """Number the document a signing completes, freeze its content, and queue its rendering
    (the job goes with the completion's `batch`).

    A plan (KH) when `report` is None, else the report (BC) of the task's round. The content is
    what the files will show, taken from the directory now: renaming an agency later does not
    change a signed document. `units`: the plan's addressed units, if the caller has read them
    (cascade.addressed_agencies), else the document reads their names; `reported`: for a
    report, its units' reports, if the caller has read them (cascade.unit_reports_from).
    """
    kind = PLAN_KIND if report is None else REPORT_KIND
    # the agencies the document names from this plan (signer, level, drafter, bound bodies,
    # and the levels above them) in one statement: held here, the lookups by id below find
    # them in the session instead of reading them one by one
    named = [task.agency_id, instance.jurisdiction_id, *instance.bindings.values()]
    held = agencies_with_parents(session, named)
    agency = held[task.agency_id]
    day = local_day(now)
    issuer = _issuer(agency, instance.document.get("issuer") if report is None else None)
    parent = instance.parent_id
    asked = None if parent is None else (parent, _cites_above(instance.document, report))
    number, reserved, above = _take(
        session, agency.id, day.year, issuer.symbol(kind), with_id=True, above=asked
    )
    signing = Signing(number, day, actor.full_name, task.signing_mark)
    names = None if units is None else {code: unit.name for code, unit in units.items()}
    document = official_document(
        session, instance, agency, signing, report, task.report_round, names, above, reported
    )
    row = {
        "instance_id": instance.id,
        "task_id": task.id,
        "agency_id": agency.id,
        "year": day.year,
        "kind": kind,
        "number": number,
        "symbol": document.symbol,
        "subject": document.subject,
        "signed_at": now,
        "signed_by_id": actor.user_id,
        "signing_mark": task.signing_mark,
        "state": DocumentState.RENDERING,
        "content": to_data(document),
    }
    if reserved is None:
        # a Core insert: the ORM's unit of work for the row cost more than the statement
        document_id = session.connection().execute(_NEW_DOCUMENT, row).scalar_one()
    else:  # its id reserved with the number: the row goes with the batch, ahead of its job
        document_id = reserved
        batch.add(_DOCUMENT_ROW, row | {"id": reserved})
    issued = Issued(document_id, number, document.symbol)
    job = {"document_id": issued.id, "created_at": now, "run_after": now, "attempts": 0}
    batch.add(_NEW_JOB, job)
    append_event(
        session,
        instance,
        "document_issued",
        actor,
        now,
        role=task.role,
        task=task,
        data={
            "kind": kind,
            "number": number,
            "symbol": document.symbol,
            "register": document.symbol,  # numbered in the symbol's own register (0026)
            "year": day.year,
            "subject": document.subject,  # what the row must equal (audit_rows)
            "agency_id": agency.id,
        },
    )
    return issued


@dataclass(frozen=True, slots=True)
class Issued:
    """A document a signing has just numbered; its files are rendered later."""

    id: int
    number: int
    symbol: str


_NEW_DOCUMENT = insert(DOCUMENTS).returning(DOCUMENTS.c.id)
_DOCUMENT_ROW = insert(DOCUMENTS)
_NEW_JOB = insert(RENDER_JOBS)


def official_document(
    session: Session,
    instance: ProcessInstance,
    agency: Agency,
    signing: Signing,
    report: dict[str, Any] | None = None,
    round_: str | None = None,
    names: Mapping[str, str] | None = None,
    above: Above | None = None,
    reported: list[UnitReport] | None = None,
) -> OfficialDocument:
    """The plan (or, given a report, the report) as `agency` issues it; a draft has no number.
    `names`: the addressed units' names by code, `above`: what a unit's document takes from
    the process above, `reported`: the units' reports for the round, if the caller has them."""
    plan = instance.document
    issuer = _issuer(agency, plan.get("issuer") if report is None else None)
    if signing.signer:
        signing = replace(signing, position=signer_position(agency, issuer, signing.mark))
    # a unit's: what it takes from the process above, asked once for the recipients and the
    # preamble (the plan above only when the preamble cites it)
    if instance.parent_id is not None and above is None:
        above = _read_above(session, instance.parent_id, cite=_cites_above(plan, report))
    if report is None:
        units = plan.get("addressed_units", [])
        if names is None:
            names = (
                dict(session.connection().execute(_NAMES, {"codes": units}).all()) if units else {}
            )
        addressed = [names[c] for c in units if c in names]
        recipients = plan_recipients(session, instance, addressed, above)
        grounds = plan_grounds(session, instance, above)
        return plan_document(issuer, plan, signing, recipients, grounds)
    round_ = round_ or "result"
    if reported is None:
        reported = unit_reports(session, instance.id, round_, plan)
    units = [UnitFigures(u.unit, u.report, u.late) for u in reported]
    return report_document(
        issuer,
        plan.get("title", instance.title),
        int(plan.get("year", local_day(instance.started_at).year)),
        round_,
        report,
        signing,
        report_recipients(session, instance, agency, above),
        units,
        own_label=f"{session.get_one(Agency, instance.jurisdiction_id).name} (trực tiếp tổ chức)",
    )


GROUNDS_FILE = Path(__file__).parents[1] / "plan_grounds.toml"


@lru_cache(maxsize=1)
def grounds_policy() -> dict[str, Any]:
    """The documents a plan cites by default, as data (service/plan_grounds.toml)."""
    return tomllib.loads(GROUNDS_FILE.read_text(encoding="utf-8"))


def plan_grounds(
    session: Session, instance: ProcessInstance, above: Above | None = None
) -> list[str]:
    """What the plan's preamble cites: the drafter's `grounds`; else, for a unit's plan, the
    plan of the level above as issued (seeds 001, 003), at the top the campaign's documents for
    the plan's year (service/plan_grounds.toml: seeds 000, 002, 004). `above`: what the caller
    has read of the process above, if it has."""
    plan = instance.document
    written = _written_grounds(plan)
    if written:
        return written
    if instance.parent_id is not None:
        if above is None or above.grounds is None:
            above = _read_above(session, instance.parent_id, cite=True)
        return list(above.grounds or ())
    policy = grounds_policy()
    year = str(plan.get("year", local_day(instance.started_at).year))
    return [*policy["every_year"], *policy["years"].get(year, [])]


def _written_grounds(plan: Mapping[str, Any]) -> list[str]:
    """The documents the plan's drafter wrote that it cites (none: the default ones)."""
    return [g["text"] for g in plan.get("grounds") or []]


def _cites_above(plan: Mapping[str, Any], report: dict[str, Any] | None) -> bool:
    """Whether a unit's document cites the plan above: a plan whose drafter wrote no grounds."""
    return report is None and not _written_grounds(plan)


# built once (statements are immutable)
_NAMES = select(Agency.code, Agency.name).where(Agency.code.in_(bindparam("codes", expanding=True)))


def cited(
    kind: str,
    number: int,
    symbol: str,
    signed_at: datetime,
    subject: str,
    content: dict[str, Any] | None,
    agency_name: str,
) -> str:
    """An issued document as another cites it: "Kế hoạch số 1/KH-BCĐ ngày 13/7/2023 của BAN CHỈ
    ĐẠO 138 về …", its issuer as its own header names it (older documents have no content:
    their agency's name)."""
    day = local_day(signed_at)
    issuer = (content or {}).get("issuer") or agency_name
    subject = subject[:1].lower() + subject[1:]
    return (
        f"{KINDS[kind].capitalize()} số {number}/{symbol} ngày "
        f"{day.day}/{day.month}/{day.year} của {issuer} về {subject}"
    )


def report_recipients(
    session: Session, instance: ProcessInstance, agency: Agency, above: Above | None = None
) -> list[str]:
    """Nơi nhận of the report `agency` issues for `instance`: the standing body of the level
    that asked for it, or, at the top, the policy's (the People's Committee, the Ministry),
    each "(để b/c)"; then the agency's leadership and "Lưu: VT, …". `above`: what the caller
    has read of the process above, if it has."""
    policy = recipients_policy()
    named = _informed(session, instance, policy["top_level"], above)
    leadership = (
        policy["leadership"].format(abbreviation=agency.abbreviation)
        if agency.abbreviation
        else policy["leadership_unnamed"]
    )
    return [
        *named,
        leadership,
        archive_line(session, instance),
    ]


def plan_recipients(
    session: Session, instance: ProcessInstance, units: list[str], above: Above | None = None
) -> list[str]:
    """Nơi nhận of a plan: the level above, "(để b/c)" (at the top, the policy's bodies), the
    units it addresses, "(để t/h)", then "Lưu: VT, …" (seed 000). `above`: what the caller has
    read of the process above, if it has."""
    policy = recipients_policy()
    return [
        *_informed(session, instance, policy["plan"]["top_level"], above),
        *(f"{unit}{policy['plan']['for_action']}" for unit in units),
        archive_line(session, instance),
    ]


def _informed(
    session: Session, instance: ProcessInstance, top_level: list[str], above: Above | None
) -> list[str]:
    """Who is sent a document for information, "(để b/c)": the standing body (else the head)
    of the level above, or, at the top, `top_level` ("{<role>}": the agency bound to it)."""
    policy = recipients_policy()
    if instance.parent_id is not None:
        if above is None:
            above = _read_above(session, instance.parent_id, cite=False)
        return [] if above.informed is None else [f"{above.informed}{policy['for_report']}"]
    bindings = instance.bindings
    return [
        f"{_ROLE.sub(lambda m: _bound(session, bindings, m[1]) or '', name)}{policy['for_report']}"
        for name in top_level
    ]


@dataclass(frozen=True, slots=True)
class Above:
    """What a unit's document takes from the process above it (its parent)."""

    informed: str | None  # the agency sent it for information: the standing body, else the head
    grounds: tuple[str, ...] | None  # a plan's preamble: the plan above cited; None: not read


def _read_above(session: Session, parent_id: int, *, cite: bool) -> Above:
    """What a unit's document takes from the process `parent_id`, in one round trip; with
    `cite`, the plan above as well (a plan whose preamble cites it)."""
    row = session.connection().execute(_above(_informed_roles(), cite), {"parent": parent_id})
    return _above_of(row.one(), cite)


def _above_of(row: Sequence[Any], cite: bool) -> Above:
    """`_above`'s row, as what the document takes."""
    roles = len(_informed_roles())
    informed = next((name for name in row[:roles] if name), None)
    if not cite:
        return Above(informed, None)
    plan = row[roles:]
    return Above(informed, () if plan[0] is None else (cited(*plan),))


def _informed_roles() -> tuple[str, ...]:
    """The roles whose agency, in the process above, a unit's document is sent to for
    information, in order of preference."""
    return (recipients_policy()["to_parent_role"], HEAD_ROLE)


@lru_cache(maxsize=4)
def _above(roles: tuple[str, ...], cite: bool) -> Select[Any]:
    """What `_read_above` reads of the instance `parent`, as one row: the names of the agencies
    bound to `roles` there (from its bindings in the database; its engine state is not read),
    then, with `cite`, its first plan (KH) with what a citation of it needs (NULLs: none)."""
    names = [
        select(Agency.name)
        .where(Agency.id == ProcessInstance.bindings[role].as_integer())
        .scalar_subquery()
        for role in roles
    ]
    parent = ProcessInstance.id == bindparam("parent")
    if not cite:
        return select(*names).where(parent)
    first = (
        select(Document.id)
        .where(Document.instance_id == bindparam("parent"), Document.kind == PLAN_KIND)
        .order_by(Document.id)
        .limit(1)
        .correlate(None)  # not the joined document below
        .scalar_subquery()
    )
    issuer = aliased(Agency)  # not the bound agencies' table, which their subqueries read
    return (
        select(
            *names,
            Document.kind,
            Document.number,
            Document.symbol,
            Document.signed_at,
            Document.subject,
            Document.content,
            issuer.name,
        )
        .select_from(ProcessInstance)
        .outerjoin(Document, Document.id == first)
        .outerjoin(issuer, issuer.id == Document.agency_id)
        .where(parent)
    )


def _bound(session: Session, bindings: dict[str, int], role: str) -> str | None:
    """The name of the agency bound to `role` in an instance's `bindings`."""
    agency_id = bindings.get(role)
    agency = None if agency_id is None else session.get(Agency, agency_id)
    return None if agency is None else agency.name


def issuer_choices(agency: Agency) -> list[tuple[str, str]]:
    """The bodies `agency` may issue a plan as, by symbol and name, its own (the default)
    first; empty when it issues only as itself."""
    if not agency.issuers:
        return []
    own = (str(agency.abbreviation), agency.issuer_name or agency.name.upper())
    return [own] + [(str(i["abbreviation"]), str(i["issuer_name"])) for i in agency.issuers]


def signer_position(agency: Agency, issuer: Issuer, mark: str | None) -> str:
    """The signer's own office, when they sign as the head (or "KT." the deputy head) of a body
    the agency issues as, under another title: the Chairman signs Ban Chỉ đạo 138's plan as
    "TRƯỞNG BAN", then "CHỦ TỊCH UBND TỈNH" above the name (seed 000). Empty when the agency
    issues as itself, or for TL./TUQ., whose own title is already among the authority lines."""
    own_head, own_deputy = HEAD_TITLES.get(agency.kind, OTHER_HEAD)
    if issuer.parent_body is None or issuer.head_title == own_head:
        return ""
    if mark is not None and not mark.startswith("KT."):
        return ""
    body = issuer.parent_body.removesuffix(issuer.place.upper()).strip()  # "UBND TỈNH"
    return f"{own_deputy if mark else own_head} {body}"


def _issuer(agency: Agency, abbreviation: str | None = None) -> Issuer:
    """The body a document is issued as: the agency itself as the directory heads it, or
    (a plan's `issuer`) one of the other bodies it issues as."""
    default_head = HEAD_TITLES.get(agency.kind, OTHER_HEAD)[0]
    other = next(
        (i for i in agency.issuers or [] if abbreviation and i["abbreviation"] == abbreviation),
        None,
    )
    if other is not None:
        return Issuer(
            name=other.get("issuer_name") or agency.name.upper(),
            parent_body=other.get("parent_body"),
            abbreviation=other["abbreviation"],
            place=_place(agency),
            head_title=other.get("head_title") or default_head,
            collective=other.get("collective"),
        )
    return Issuer(
        name=agency.issuer_name or agency.name.upper(),
        parent_body=agency.parent_body,
        abbreviation=agency.abbreviation,
        place=_place(agency),
        head_title=agency.head_title or default_head,
        collective=agency.collective,
    )


def decision_issuer(agency: Agency) -> Issuer:
    """The body a head's decision (QĐ) is issued as: a committee as itself (QĐ-UBND, not its
    Steering Committee), another agency as itself; signed by the head in person, with no "TM."
    line (Bằng khen "của Chủ tịch UBND tỉnh" is the Chairman's own award)."""
    return replace(_issuer(agency, "UBND"), collective=None)


def _place(agency: Agency) -> str:
    node: Agency | None = agency
    while node is not None and node.kind not in LEVEL_KINDS:
        node = node.parent
    return _LEVEL_PREFIX.sub("", (node or agency).name)


def archive_line(session: Session, instance: ProcessInstance) -> str:
    """ "Lưu: VT, CAT": the records office, and the unit that drafted (the standing body)."""
    drafter = session.get(Agency, instance.bindings.get(Role.STANDING_BODY, 0))
    return f"Lưu: VT, {drafter.abbreviation}" if drafter and drafter.abbreviation else "Lưu: VT"

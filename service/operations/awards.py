"""Quyết định khen thưởng (QĐ): after a plan is signed, its competent head decides the awards
that the award review accepted, in one decision numbered in the head's register (…/QĐ-UBND).

Who decides which award is data (seeds 000 §III, 002 §5): the province's Chairman gives "his"
Bằng khen on the province's plan; Giấy khen are given by the heads of departments and the
chairmen of districts and communes, each on their own plan, never by the province; Kỷ niệm
chương dossiers are forwarded to the Ministry of Public Security (seed 002 §5.1), never decided
here. A nomination accepted on a plan whose level does not decide its kind is listed as
decided elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from service.db.models import Agency, Document, ProcessInstance, RenderJob
from service.db.uow import UnitOfWork
from service.documents.content import Awardee, Signing, decision_document
from service.documents.keys import KeyStore
from service.documents.layout import DECISION_KIND, PLAN_KIND, to_data
from service.errors import Conflict, Forbidden, NotFound
from service.operations.actors import Actor
from service.operations.documents import (
    archive_line,
    check_signing_keys,
    decision_issuer,
    take_number,
)
from service.permissions import HEAD_ROLE, Right, Role, require
from service.states import DocumentState
from workflows.calendar import local_day

# Per award kind, the levels (by the kind of the plan's jurisdiction) whose head decides it:
# only those listed, or all but those; a kind absent here is never decided locally.
DECIDERS: dict[str, tuple[str, frozenset[str]]] = {
    "bang_khen_chu_tich_tinh": ("only", frozenset({"province"})),
    "giay_khen": ("except", frozenset({"province"})),
}
# Where an accepted award not decided on this plan goes: the Ministry, or another level's head.
FORWARDED_TO = {"ky_niem_chuong": "ministry"}


def decided_here(kind: str, level_kind: str) -> bool:
    if kind not in DECIDERS:
        return False
    rule, levels = DECIDERS[kind]
    return (level_kind in levels) == (rule == "only")


@dataclass(frozen=True, slots=True)
class ForwardedAward:
    """An accepted award decided elsewhere: by the Ministry, or by another level's head."""

    kind: str
    nominee: str
    goes_to: str  # "ministry" or "other_level"


@dataclass(frozen=True)
class Outline:
    """What a plan's award decision covers, and where it stands."""

    awardees: list[Awardee]  # accepted, decided here
    elsewhere: list[ForwardedAward]  # accepted, decided elsewhere
    decision: Document | None  # the decision issued, if any
    signed: bool  # the plan is signed: a decision may follow


def outline(session: Session, instance: ProcessInstance) -> Outline:
    level = instance.jurisdiction.kind
    awardees: list[Awardee] = []
    elsewhere: list[ForwardedAward] = []
    for n in instance.document.get("nominations", []):
        if n.get("accepted") is not True:
            continue
        if decided_here(n["kind"], level):
            awardees.append(Awardee(n["kind"], n["nominee"], n["reason"]))
        else:
            goes_to = FORWARDED_TO.get(n["kind"], "other_level")
            elsewhere.append(ForwardedAward(n["kind"], n["nominee"], goes_to))
    documents = session.scalars(
        select(Document)
        .where(Document.instance_id == instance.id, Document.kind.in_((PLAN_KIND, DECISION_KIND)))
        .order_by(Document.id)
    ).all()
    decision = next((d for d in documents if d.kind == DECISION_KIND), None)
    signed = any(d.kind == PLAN_KIND for d in documents)
    return Outline(awardees, elsewhere, decision, signed)


def signing_mark(actor: Actor, agency_id: int) -> str | None:
    """How the actor signs for the head of `agency_id`: None in person, "KT. …" as a deputy,
    "TUQ. …" as a substitute. :raise Forbidden: neither."""
    require(actor, Right.DECIDE_AWARDS)
    if actor.agency_id == agency_id and Role.CHAIRMAN in actor.roles:
        return None
    for grant in actor.grants:
        if (grant.agency_id, grant.role) == (agency_id, HEAD_ROLE):
            return grant.mark
    raise Forbidden(
        "not_the_deciding_head",
        "Only the head of the agency that signed the plan, or who signs for them, decides.",
    )


def issue_award_decision(
    uow: UnitOfWork, actor: Actor, process_id: int, keys: KeyStore | None = None
) -> int:
    """Issue the plan's award decision; return its document's id. With `keys`, the
    certificates its PDF will be signed with are checked first (`check_signing_keys`).

    :raise Forbidden: the actor does not hold DECIDE_AWARDS for the plan's signing agency.
    :raise NotFound: no such process.
    :raise Conflict: the plan is not signed, no nomination decided here was accepted, the
        plan already has its decision, or a certificate may not sign.
    """
    require(actor, Right.DECIDE_AWARDS)
    with uow:
        session, now = uow.session, uow.now()
        instance = session.get(ProcessInstance, process_id)
        if instance is None:
            raise NotFound("process_not_found", "No such process.")
        agency = session.get_one(Agency, instance.bindings.get(HEAD_ROLE, 0))
        mark = signing_mark(actor, agency.id)
        issued_as = decision_issuer(agency).abbreviation  # QĐ-UBND: the committee's seal
        check_signing_keys(session, keys, actor, agency.id, datetime.now(UTC), issued_as)
        day = local_day(now)
        # taken first: the register row stays locked until this commits, so a second decision
        # asked at the same moment waits here and then finds the first
        issuer = decision_issuer(agency)
        number = take_number(session, agency.id, day.year, issuer.symbol(DECISION_KIND))
        plan = outline(session, instance)
        _refuse(plan)
        plan_doc = session.scalars(
            select(Document)
            .where(Document.instance_id == instance.id, Document.kind == PLAN_KIND)
            .order_by(Document.id.desc())
        ).first()
        assert plan_doc is not None  # outline says signed
        year = int(instance.document.get("year", day.year))
        document = decision_document(
            issuer,
            year,
            _grounds(session, instance, agency, plan_doc),
            plan.awardees,
            _executors(session, instance, agency),
            Signing(number, day, actor.full_name, mark),
            ["Như Điều 3", archive_line(session, instance)],
        )
        row = Document(
            instance_id=instance.id,
            task_id=None,
            agency_id=agency.id,
            year=day.year,
            kind=DECISION_KIND,
            number=number,
            symbol=document.symbol,
            subject=document.subject[:500],
            signed_at=now,
            signed_by_id=actor.user_id,
            signing_mark=mark,
            state=DocumentState.RENDERING,
            content=to_data(document),
        )
        session.add(row)
        session.add(RenderJob(document=row, created_at=now, run_after=now))
        uow.record(
            "document_issued",
            actor,
            instance=instance,
            role=HEAD_ROLE,
            data={
                "kind": DECISION_KIND,
                "number": number,
                "symbol": document.symbol,
                "register": document.symbol,  # numbered in the symbol's own register (0026)
                "year": day.year,
                "subject": row.subject,
                "agency_id": agency.id,
                "signing_mark": mark,
                "awardees": [{"kind": a.kind, "nominee": a.nominee} for a in plan.awardees],
            },
        )
        try:
            uow.commit()
        except (IntegrityError, StaleDataError) as err:  # another decision came first
            raise Conflict(
                "award_decision_exists", "This plan already has its award decision."
            ) from err
        return row.id


def _refuse(plan: Outline) -> None:
    if not plan.signed:
        raise Conflict("plan_not_signed", "The plan is not signed yet: nothing to decide.")
    if plan.decision is not None:
        raise Conflict(
            "award_decision_exists",
            "This plan already has its award decision.",
            number_line=f"Số: {plan.decision.number}/{plan.decision.symbol}",
        )
    if not plan.awardees:
        raise Conflict(
            "no_accepted_nomination",
            "No nomination this head decides was accepted by the award review.",
            field="nominations",
        )


def _bound_names(session: Session, instance: ProcessInstance, roles: tuple[str, ...]) -> list[str]:
    names: list[str] = []
    for role in roles:
        agency = session.get(Agency, instance.bindings.get(role, 0))
        if agency is not None and agency.name not in names:
            names.append(agency.name)
    return names


def _grounds(
    session: Session, instance: ProcessInstance, agency: Agency, plan_doc: Document
) -> list[str]:
    """ "Căn cứ…" lines: the law on the head's powers, the law on awards, the signed plan; then
    who proposed (the award review and the standing body, seeds 000 §6, 002 §4)."""
    title = str(instance.document.get("title", instance.title))
    lines = ["Căn cứ Luật Tổ chức chính quyền địa phương;"] if agency.kind == "committee" else []
    lines += [
        "Căn cứ Luật Thi đua, khen thưởng và các văn bản quy định chi tiết thi hành;",
        f"Căn cứ Kế hoạch số {plan_doc.number}/{plan_doc.symbol} ngày "
        f"{local_day(plan_doc.signed_at):%d/%m/%Y} về {title[:1].lower()}{title[1:]};",
    ]
    proposers = [
        name
        for name in _bound_names(session, instance, (Role.HOME_AFFAIRS, Role.STANDING_BODY))
        if name != agency.name
    ]
    if proposers:
        lines.append(f"Theo đề nghị của {' và '.join(proposers)}.")
    return lines


def _executors(session: Session, instance: ProcessInstance, agency: Agency) -> str:
    names = [
        name
        for name in _bound_names(session, instance, (Role.HOME_AFFAIRS, Role.STANDING_BODY))
        if name != agency.name
    ]
    listed = ", ".join(names + ["các cơ quan, đơn vị có liên quan"])
    return f"Thủ trưởng {listed}"

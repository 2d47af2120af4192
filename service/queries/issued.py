"""The documents of a plan that the units it addressed read: its signed plans (KH) and its
award decision (QĐ), with who issued and signed each.

Read on their own (`issued_documents`), or as one column of another statement
(`issued_column`, a JSON array of rows): a unit's task view reads its task and the plan above
with them in one statement, a round trip fewer on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import JSON, ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session

from service.db.models import Agency, Document, User
from service.documents.layout import DECISION_KIND, PLAN_KIND
from service.states import DocumentState

# What the units a plan addressed read of its documents: the plan and its award decision,
# never the reports its issuer sends up.
ISSUED_KINDS = (PLAN_KIND, DECISION_KIND)


class IssuedDocument(NamedTuple):
    id: int
    kind: str
    number: int
    symbol: str
    year: int
    subject: str
    signed_at: datetime
    signing_mark: str | None
    state: DocumentState
    agency: str  # the issuing agency's name
    signer: str  # the signer's full name


_COLUMNS = (
    Document.id,
    Document.kind,
    Document.number,
    Document.symbol,
    Document.year,
    Document.subject,
    Document.signed_at,
    Document.signing_mark,
    Document.state,
    Agency.name,
    User.full_name,
)


def _of(plan: ColumnElement[Any], kinds: tuple[str, ...], *columns: Any) -> Select[Any]:
    """`columns` of the documents of `kinds` of the plan whose id is `plan`."""
    return (
        select(*columns)
        .select_from(Document)
        .join(Agency, Agency.id == Document.agency_id)
        .join(User, User.id == Document.signed_by_id)
        .where(Document.instance_id == plan, Document.kind.in_(kinds))
    )


# built once (statements are immutable)
_READ: dict[tuple[str, ...], Select[Any]] = {
    kinds: _of(bindparam("plan"), kinds, *_COLUMNS).order_by(Document.id)
    for kinds in (ISSUED_KINDS, (PLAN_KIND,))
}


def issued_documents(
    session: Session, plan_id: int, kinds: tuple[str, ...] = ISSUED_KINDS
) -> list[IssuedDocument]:
    """The plan's documents of `kinds` (its plans and award decision), oldest first."""
    rows = session.connection().execute(_READ[kinds], {"plan": plan_id})
    return [IssuedDocument(*row) for row in rows]


def issued_column(dialect: str, plan: ColumnElement[Any]) -> ColumnElement[Any]:
    """The documents `issued_documents` reads for the plan whose id is `plan` (a column of
    the enclosing statement), as one JSON array of rows in no order: for `from_column`. Built
    into the enclosing statement, which its caller builds once."""
    # an aggregate of the documents themselves, not of a subquery of them: a subquery in
    # FROM would not see the enclosing statement's plan, and read every plan's documents
    if dialect == "postgresql":
        packed = func.json_agg(func.json_build_array(*_COLUMNS), type_=JSON)
    else:
        packed = func.json_group_array(func.json_array(*_COLUMNS), type_=JSON)
    return _of(plan, ISSUED_KINDS, packed).scalar_subquery().label("issued")


def from_column(value: list[list[Any]] | None) -> list[IssuedDocument]:
    """`issued_column`'s value as `issued_documents` reads it (NULL when there is none, on
    PostgreSQL), oldest first. The JSON holds the time signed as text: ISO on PostgreSQL, in
    UTC without an offset on SQLite."""
    found = []
    for row in sorted(value or [], key=lambda row: row[0]):
        signed_at = datetime.fromisoformat(row[6])
        if signed_at.tzinfo is None:
            signed_at = signed_at.replace(tzinfo=UTC)
        id_, kind, number, symbol, year, subject, _, mark, state, agency, signer = row
        state = DocumentState(state)
        found.append(
            IssuedDocument(
                id_, kind, number, symbol, year, subject, signed_at, mark, state, agency, signer
            )
        )
    return found

"""The agency directory: a tree of agencies, which roles each fills, and their users."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from service.db.base import Base
from service.db.sealed import Sealed


class Agency(Base):
    """A node of the administrative tree: province, district, commune, department, unit…"""

    __tablename__ = "agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    abbreviation: Mapped[str | None] = mapped_column(String(20))
    # How its documents are headed (Nghị định 30/2020): the issuing body's name, when it issues
    # as another body (a committee as its Steering Committee), the body above it, and the title
    # of its head in the signing block.
    issuer_name: Mapped[str | None] = mapped_column(String(255))
    parent_body: Mapped[str | None] = mapped_column(String(255))
    head_title: Mapped[str | None] = mapped_column(String(80))
    # A collective body signs "TM. <collective>" above its head's title ("TM. BAN CHỈ ĐẠO").
    collective: Mapped[str | None] = mapped_column(String(120))
    # The other bodies it may issue a plan as, each with the keys above plus `abbreviation` (a
    # People's Committee issues as itself, KH-UBND, or as its Steering Committee, KH-BCĐ).
    issuers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    # The nearest province/district/commune at or above this agency; kept by the directory loader
    # so that role lookups and access checks need no walk up the tree.
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)

    # Its code in the national list of administrative units, where it has one (a province,
    # district or commune); None for departments, offices and units.
    admin_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    # The days it exists: from valid_from (None: before the directory's records) to the day
    # before valid_to (None: still exists). A reorganisation ends it; it is never deleted.
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]

    parent: Mapped[Agency | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    def exists_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )


class AgencySuccessor(Base):
    """An agency that ended (merged, split or dissolved) and one that took over from it."""

    __tablename__ = "agency_successor"

    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    successor_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    effective: Mapped[date]
    kind: Mapped[str] = mapped_column(String(20))  # merged | split | dissolved
    # of a split's successors, the one that takes the ended agency's open work
    takes_open_work: Mapped[bool] = mapped_column(default=False)


class ScheduledReorganisation(Base):
    """A reorganisation asked for ahead of its date, applied by the scheduler on that day
    (service.operations.scheduled_reorganisation) in the transaction that marks it applied."""

    __tablename__ = "scheduled_reorganisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(20))  # create | rename | merge | split | …
    agency: Mapped[str] = mapped_column(String(80))  # the code it changes (or creates)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)  # the operation's, but the date
    effective: Mapped[date] = mapped_column(index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]
    # why it could not be applied on its day (field → reasons), as the operation said
    refused: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RoleBinding(Base):
    """Which agency fills a chain role (a BPMN lane) for a jurisdiction."""

    __tablename__ = "role_binding"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    role: Mapped[str] = mapped_column(String(40))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str | None] = mapped_column(String(255))  # for reminders, when SMTP is set
    password_hash: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Every session and token carries the epoch it was issued in; bumping it (disabling the user,
    # enrolling a second factor) ends them all at their next request.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # the base32 seed, sealed at rest (service.db.sealed); None: not enrolled. Deferred: only
    # checking a code opens it, so a wrong APP_TOTP_KEY stops second factors, not every page
    # that loads a user (nor the command that resets a lost one).
    totp_secret: Mapped[str | None] = mapped_column(Sealed(), deferred=True)
    totp_enrolled: Mapped[bool] = column_property(totp_secret.is_not(None))
    totp_last_step: Mapped[int | None]  # the last accepted 30-s step: a code works once

    agency: Mapped[Agency] = relationship()
    roles: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan")
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(cascade="all, delete-orphan")


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(40), primary_key=True)


class RecoveryCode(Base):
    """A one-time code for a lost phone, stored as an Argon2 hash; used once, then deleted."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))


class Delegation(Base):
    """Ủy quyền: a leader away from `starts` to `ends` names a substitute for their tasks.

    Rows are never deleted: a grant ends by its dates or by `revoked_at`, so the record of who
    could sign for whom, and when, stays.
    """

    __tablename__ = "delegation"

    id: Mapped[int] = mapped_column(primary_key=True)
    grantor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    kind: Mapped[str] = mapped_column(String(5))  # TUQ (thừa ủy quyền) | KT (ký thay)
    starts: Mapped[date]
    ends: Mapped[date]
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    grantor: Mapped[User] = relationship(foreign_keys=[grantor_id])
    substitute: Mapped[User] = relationship(foreign_keys=[substitute_id])

"""Signed checkpoints of the audit log (like events, never changed once stored), and the heads
of the chains that belong to no process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base, utcnow
from workflows.audit import GENESIS


class Checkpoint(Base):
    """An Ed25519-signed Merkle root over the first `tree_size` event hashes in id order."""

    __tablename__ = "checkpoint"

    # numbered 1, 2, 3… by the service, not by a sequence: a gap means a deleted checkpoint
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tree_size: Mapped[int]
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)  # the signed text: origin, size, root, time
    signature: Mapped[str] = mapped_column(String(128))  # hex
    key_fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the raw public key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditChain(Base):
    """The head of a chain of events that belong to no process (service.db.audit_log)."""

    __tablename__ = "audit_chain"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_event_seq: Mapped[int] = mapped_column(default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

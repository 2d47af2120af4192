"""A checkpoint rewritten by someone without the signing key: the history rewritten
consistently (every later hash and the chain head recomputed), the checkpoint's root and note
recomputed to match, signed with a key of the forger's own, and the witness copies gone. Only
the signature check can tell; the earlier tests signed forgeries with the stolen key only."""

from __future__ import annotations

import shutil
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from sqlalchemy import select

from service.db.models import Checkpoint, Event
from tests.service.audit_walk import WALKED
from tests.service.test_audit_tamper import as_insider, log, report, rewrite_consistently
from workflows.audit import checkpoint_note, event_leaf, merkle_root, parse_note

__all__ = ["log"]  # the walked history under one signed checkpoint
pytestmark = WALKED


def _forge_checkpoint(app: Flask, signature_of: Callable[[str], str]) -> None:
    with app.extensions["session_factory"]() as session:
        hashes = session.scalars(select(Event.hash).order_by(Event.id)).all()
        (row,) = session.scalars(select(Checkpoint)).all()
    root = merkle_root([event_leaf(h) for h in hashes]).hex()
    origin, size, _, _ = parse_note(row.note)
    note = checkpoint_note(origin, size, root, row.created_at)
    as_insider(
        app,
        "UPDATE checkpoint SET root_hash = :r, note = :n, signature = :s",
        r=root,
        n=note,
        s=signature_of(note),
    )


def test_a_checkpoint_signed_with_another_key_is_named(app: Flask, log: dict[str, int]) -> None:
    rewrite_consistently(app, log["province"], 3)
    forger = Ed25519PrivateKey.generate()
    _forge_checkpoint(app, lambda note: forger.sign(note.encode()).hex())
    shutil.rmtree(app.config["WITNESS_DIR"])

    found = report(app)["first_broken"]

    assert (found["reason"], found["checkpoint_id"]) == ("modified", 1), found
    assert "signature does not verify" in found["detail"]


def test_a_checkpoint_whose_note_changed_under_its_old_signature_is_named(
    app: Flask, log: dict[str, int]
) -> None:
    rewrite_consistently(app, log["province"], 3)
    with app.extensions["session_factory"]() as session:
        (old,) = session.scalars(select(Checkpoint.signature)).all()
    _forge_checkpoint(app, lambda note: old)
    shutil.rmtree(app.config["WITNESS_DIR"])

    found = report(app)["first_broken"]

    assert (found["reason"], found["checkpoint_id"]) == ("modified", 1), found

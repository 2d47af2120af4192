"""Signed checkpoints over the whole audit log, and its verification.

A checkpoint signs the RFC 6962 root over every event hash in id order, so a chain rewritten
consistently (hashes recomputed) still fails against it. Each checkpoint is also written to the
witness folder with the event hashes it added: with those copies the verifier can name the first
event that differs, even when the database and its checkpoints were rewritten and re-signed.
"""

from __future__ import annotations

import json
from datetime import timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Text, select, text, type_coerce
from sqlalchemy.orm import Session

from service.db.audit_log import DIRECTORY_CHAIN, HASHED
from service.db.models import AuditChain, Checkpoint, Event, ProcessInstance
from service.db.uow import UnitOfWork
from service.operations.actors import Actor, SystemActor
from service.operations.audit_rows import aware, check_rows, json_object
from service.operations.signing import (
    ORIGIN,
    fingerprint,
    signed_by,
    signing_key,
    write_witness,
)
from service.permissions import Right, require
from workflows.audit import (
    GENESIS,
    Link,
    canonical_json,
    checkpoint_note,
    event_leaf,
    merkle_root,
    parse_note,
    roots_at,
    verify_chain,
)

Leaves = list[tuple[int, str]]  # (event id, event hash) in id order: the Merkle tree's leaves
LEAVES = select(Event.id, Event.hash).order_by(Event.id)
LATEST_CHECKPOINT = select(Checkpoint).order_by(Checkpoint.id.desc()).limit(1)
# what a verifier reads of each event: its id, both hashes, and the hashed fields
CHAIN_COLUMNS = (Event.id, Event.prev_hash, Event.hash, *(getattr(Event, n) for n in HASHED))
# the same, JSON and times as stored: `_readable` parses them one row at a time
RAW_COLUMNS = tuple(
    type_coerce(c, Text).label(c.key) if c.key in ("data", "created_at") else c
    for c in CHAIN_COLUMNS
)
MAX_BREAKS = 100  # listed in a report; `breaks_found` counts them all


def checkpoint_view(row: Checkpoint) -> dict[str, Any]:
    return {
        "id": row.id,
        "tree_size": row.tree_size,
        "root_hash": row.root_hash,
        "note": row.note,
        "signature": row.signature,
        "key_fingerprint": row.key_fingerprint,
        "created_at": row.created_at,
    }


def latest_checkpoint(uow: UnitOfWork, actor: Actor | SystemActor) -> dict[str, Any] | None:
    """:raise Forbidden: the actor may not read the log's checkpoints."""
    require(actor, Right.VERIFY_LOG)
    with uow:
        row = uow.session.scalars(LATEST_CHECKPOINT).first()
        return None if row is None else checkpoint_view(row)


def checkpoint(
    uow: UnitOfWork, actor: Actor | SystemActor, key_path: Path, witness_dir: Path
) -> dict[str, Any]:
    """Sign the root over every event so far, store it, and write its witness copy.

    With no event since the latest checkpoint, that one is returned unchanged. A checkpoint is
    itself part of the audit record (signed, witnessed), so it adds no event.

    :raise Forbidden: the actor may not sign the log.
    """
    require(actor, Right.VERIFY_LOG)
    key = signing_key(key_path)
    with uow:
        now = uow.now()
        _hold_writers(uow.session)
        latest = uow.session.scalars(LATEST_CHECKPOINT).first()
        leaves = [(int(i), str(h)) for i, h in uow.session.execute(LEAVES)]
        if latest is not None and latest.tree_size == len(leaves):
            return checkpoint_view(latest)
        root = merkle_root([event_leaf(h) for _, h in leaves]).hex()
        note = checkpoint_note(ORIGIN, len(leaves), root, now)
        row = Checkpoint(
            id=1 if latest is None else latest.id + 1,
            tree_size=len(leaves),
            root_hash=root,
            note=note,
            signature=key.sign(note.encode("utf-8")).hex(),
            key_fingerprint=fingerprint(key.public_key()),
            created_at=now,
        )
        uow.session.add(row)
        uow.commit()
    added = leaves[0 if latest is None else latest.tree_size :]
    copy = {k: v for k, v in checkpoint_view(row).items() if k != "created_at"}  # in the note
    write_witness(witness_dir, {**copy, "leaves": [list(leaf) for leaf in added]})
    return checkpoint_view(row)


# a signed document's events: anchored at the scheduler's next pass, not N minutes later
SIGNING_ACTIONS = ("document_issued", "document_rendered")


def checkpoint_due(uow: UnitOfWork, every: timedelta) -> bool:
    """Whether the scheduler should sign now: events no checkpoint covers, and either `every`
    has passed since the latest checkpoint or a document was signed (or rendered) since.

    Each checkpoint's witness copy fixes the log's tail outside the database: events it lists
    that are later cut, with the chain heads rewound to match, are found by `verify`.
    """
    with uow:
        latest = uow.session.execute(
            select(Checkpoint.tree_size, Checkpoint.created_at).order_by(Checkpoint.id.desc())
        ).first()
        size = 0 if latest is None else int(latest.tree_size)
        after = select(Event.id).order_by(Event.id).offset(size).limit(1)
        first_unsigned = uow.session.scalar(after)
        if first_unsigned is None:
            return False
        if latest is None or uow.now() - latest.created_at >= every:
            return True
        signing = select(Event.id).where(
            Event.id >= first_unsigned, Event.action.in_(SIGNING_ACTIONS)
        )
        return uow.session.scalar(signing.limit(1)) is not None


def _hold_writers(session: Session) -> None:
    """Make the log a fixed prefix while it is signed.

    PostgreSQL hands out event ids before commit, so an event with a lower id could commit
    after the root was taken. The function (migration 0002) locks event in SHARE mode, which
    waits for every transaction that inserted events and holds new ones until this one ends,
    and checkpoint in EXCLUSIVE mode: one signer at a time. On SQLite the writing unit's
    BEGIN IMMEDIATE did both.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT audit_hold_writers()"))


def verify(
    uow: UnitOfWork,
    actor: Actor | SystemActor,
    witness_dir: Path,
    key: Ed25519PublicKey | None,
    *,
    replay: bool = True,
) -> dict[str, Any]:
    """Check every chain, every checkpoint and every witness copy, all at one instant.

    `uow` is a reading unit (write=False): it opens its own snapshot.

    :raise Forbidden: the actor may not verify the log.
    """
    require(actor, Right.VERIFY_LOG)
    with uow:
        if uow.session.get_bind().dialect.name == "postgresql":
            uow.session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        else:
            uow.session.execute(text("BEGIN"))  # else pysqlite runs each SELECT on its own
        return verify_log(uow.session, witness_dir, key, replay=replay)


def verify_log(
    session: Session, witness_dir: Path, key: Ed25519PublicKey | None, *, replay: bool = True
) -> dict[str, Any]:
    """The verification itself, in the caller's transaction; see `verify`.

    Reports counts, the tail no checkpoint covers yet, every break found and the first: a
    poisoned row first (a value no event can hold), then a chain's own break (the most
    precise), then the first event that differs from the witness copies, then whatever else is
    wrong with a checkpoint, then business rows that differ from what the log says
    (service.operations.audit_rows). Nothing stored can make it raise.
    """
    heads: dict[int | None, tuple[int, str]] = {}
    breaks: list[dict[str, Any]] = []
    for instance_id, seq, head in session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.last_event_seq,
            ProcessInstance.last_event_hash,
        )
    ):
        if type(seq) is not int or not isinstance(head, str):
            breaks.append(_poisoned("process_instance", instance_id, "last_event_seq/hash"))
            seq, head = 0, ""
        heads[instance_id] = (seq, head)
    for seq, head in session.execute(
        select(AuditChain.last_event_seq, AuditChain.last_event_hash).filter_by(
            name=DIRECTORY_CHAIN
        )
    ):
        heads[None] = (seq, head) if type(seq) is int else (0, "")  # events of no process
    leaves: Leaves = []
    places: dict[int, tuple[int | None, int]] = {}  # event id -> (instance id, seq)
    records: list[tuple[int, dict[str, Any]]] = []  # what the log says, for the business rows
    chains: list[dict[str, Any]] = []
    rows = session.execute(
        select(*RAW_COLUMNS).order_by(Event.instance_id.nulls_first(), Event.seq, Event.id)
    )
    for instance_id, group in groupby(rows, key=lambda row: row.instance_id):
        links = []
        for row in group:
            link, problem = _readable(row)
            if problem is not None:
                breaks.append(problem)
            else:
                records.append((link.id, dict(link.record)))
            links.append(link)
        leaves += [(link.id, link.hash) for link in links]
        places.update((link.id, (instance_id, link.seq)) for link in links)
        found = verify_chain(links, *heads.pop(instance_id, (0, GENESIS)))
        if found is not None:
            chains.append(_broken(found.reason, found.detail, found.id, instance_id, found.seq))
    breaks += chains
    breaks += [
        _broken("truncated", "every event is gone", None, instance_id, 1)
        for instance_id, (seq, _) in heads.items()
        if seq
    ]
    leaves.sort()
    witness, unreadable = _read_witness(witness_dir)
    breaks += unreadable
    breaks += _compare_witness(leaves, witness, places)
    rows_checked, anchored, problems = _check_checkpoints(session, leaves, witness, key)
    breaks += problems
    business_rows, differing = check_rows(session, records, replay=replay)
    breaks += differing
    return {
        "events_checked": len(leaves),
        "checkpoints_checked": rows_checked,
        "witness_copies": len(witness),
        "unanchored": len(leaves) - anchored,
        "rows_checked": business_rows,
        "first_broken": breaks[0] if breaks else None,
        "breaks": breaks[:MAX_BREAKS],
        "breaks_found": len(breaks),
    }


def _read_witness(folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The witness copies by number, and a break for each file that is not one."""
    copies, breaks = [], []
    for path in sorted(folder.glob("checkpoint-*.json")):
        try:
            copy = json.loads(path.read_text(encoding="utf-8"))
            copy["id"], copy["leaves"] = int(copy["id"]), list(copy["leaves"])
            copy["note"], copy["signature"] = str(copy["note"]), str(copy["signature"])
        except (OSError, ValueError, TypeError, KeyError) as err:
            breaks.append(_broken("poisoned", f"witness copy {path.name}: {err!r}"))
            continue
        copies.append(copy)
    return sorted(copies, key=lambda copy: int(copy["id"])), breaks


def _readable(row: Any) -> tuple[Link, dict[str, Any] | None]:
    """The event row as a link, and the break it is if a value has no place in an event.

    The row is read raw (JSON as text, times as stored): a poisoned value must name its row,
    not stop the verifier. A poisoned link hashes to nothing, so its chain breaks there too.
    """
    record = {name: getattr(row, name) for name in HASHED}
    field, reason = "", ""
    try:
        field = "data"
        record["data"] = json_object(row.data)
        field = "created_at"
        record["created_at"] = aware(row.created_at)
        for field in ("seq", "prev_hash", "hash"):
            value = getattr(row, field)
            if value is None or (field == "seq") != (type(value) is int):
                raise ValueError(f"{value!r} where {'a number' if field == 'seq' else 'a hash'}")
        field = "data"
        canonical_json(record)
    except (TypeError, ValueError) as err:
        reason = str(err) or type(err).__name__
    seq = row.seq if type(row.seq) is int else 0
    link = Link(row.id, seq, record, str(row.prev_hash or ""), str(row.hash or ""))
    if not reason:
        return link, None
    return link, _broken(
        "poisoned",
        f"{field}: {reason}",
        row.id,
        row.instance_id,
        seq,
        table="event",
        row_id=row.id,
        field=field,
    )


def _poisoned(table: str, row_id: Any, field: str) -> dict[str, Any]:
    return _broken("poisoned", f"{field}: unreadable", table=table, row_id=row_id, field=field)


def _broken(
    reason: str,
    detail: str,
    event_id: int | None = None,
    instance_id: int | None = None,
    seq: int | None = None,
    checkpoint_id: int | None = None,
    *,
    table: str | None = None,
    row_id: Any = None,
    field: str | None = None,
) -> dict[str, Any]:
    return {
        "reason": reason,
        "event_id": event_id,
        "instance_id": instance_id,
        "seq": seq,
        "checkpoint_id": checkpoint_id,
        "table": table,
        "row_id": row_id,
        "field": field,
        "detail": detail,
    }


def _compare_witness(
    leaves: Leaves, witness: list[dict[str, Any]], places: dict[int, tuple[int | None, int]]
) -> list[dict[str, Any]]:
    """The first event that differs from the leaves the witness copies recorded, if any."""
    recorded: Leaves = []
    for number, copy in enumerate(witness, start=1):
        if copy["id"] != number:  # a gap: later copies cannot be placed in the tree
            break
        recorded += [(int(i), str(h)) for i, h in copy["leaves"]]
    stored = leaves[: len(recorded)]
    p = next((i for i, (a, b) in enumerate(zip(stored, recorded, strict=False)) if a != b), None)
    if p is None:
        if len(stored) == len(recorded):
            return []
        return [_broken("truncated", "the witness copies list more", recorded[len(stored)][0])]
    (event_id, _), (witnessed_id, _) = stored[p], recorded[p]
    if event_id == witnessed_id:
        reason, detail = "modified", "its hash differs from the witness copy"
    elif witnessed_id not in {i for i, _ in leaves}:
        reason, detail, event_id = "deleted", "the witness copy lists it", witnessed_id
    elif event_id not in {i for i, _ in recorded}:
        reason, detail = "inserted", "no witness copy lists it"
    else:
        reason, detail = "reordered", "the witness copy lists another event here"
    instance_id, seq = places.get(event_id, (None, None))
    return [_broken(reason, detail, event_id, instance_id, seq)]


def _check_checkpoints(
    session: Session, leaves: Leaves, witness: list[dict[str, Any]], key: Ed25519PublicKey | None
) -> tuple[int, int, list[dict[str, Any]]]:
    """(checkpoints checked, events they anchor, problems) for the rows and the witness copies."""
    rows = session.execute(  # not created_at: the signed note holds the time
        select(
            Checkpoint.id,
            Checkpoint.tree_size,
            Checkpoint.root_hash,
            Checkpoint.note,
            Checkpoint.signature,
        ).order_by(Checkpoint.id)
    ).all()
    stored = {row.id: row for row in rows}
    notes = [(row.id, row.note, row.signature, "") for row in rows]
    notes += [(c["id"], c["note"], c["signature"], "witness copy: ") for c in witness]
    parsed: dict[str, tuple[str, int, str, str]] = {}
    for _, note, _, _ in notes:
        try:
            parsed[note] = parse_note(note)
        except (ValueError, TypeError, AttributeError):  # poisoned: named by _check_note
            continue
    roots = roots_at((event_leaf(h) for _, h in leaves), {p[1] for p in parsed.values()})
    problems = [
        _broken("deleted", "a gap in checkpoint numbers", checkpoint_id=number)
        for number in range(1, max(stored, default=0) + 1)
        if number not in stored
    ]
    for copy in witness:
        row, number = stored.get(copy["id"]), copy["id"]
        if row is None:
            problems.append(_broken("deleted", "its witness copy is left", checkpoint_id=number))
        elif (row.note, row.signature) != (copy["note"], copy["signature"]):
            problems.append(_broken("rewritten", "it differs from its copy", checkpoint_id=number))
    for number, note, signature, source in notes:
        problem = _check_note(
            parsed.get(note) if isinstance(note, str) else None, note, str(signature), key, roots
        )
        if problem is not None:
            problems.append(_broken(problem[0], source + problem[1], checkpoint_id=number))
    for row in rows:
        fields = parsed.get(row.note)
        if fields is not None and (row.tree_size, row.root_hash) != fields[1:3]:
            detail = "its columns differ from its signed note"
            problems.append(_broken("modified", detail, checkpoint_id=row.id))
    anchored = max((parsed[row.note][1] for row in rows if row.note in parsed), default=0)
    return len(rows), min(anchored, len(leaves)), problems


def _check_note(
    fields: tuple[str, int, str, str] | None,
    note: str,
    signature: str,
    key: Ed25519PublicKey | None,
    roots: dict[int, bytes],
) -> tuple[str, str] | None:
    """(reason, detail) of what is wrong with one signed note, or None."""
    if fields is None:
        return "modified", "its note is not a checkpoint note"
    origin, size, root, _ = fields
    if key is None:
        return "unverifiable", "no public key to check its signature"
    if origin != ORIGIN or not signed_by(key, note, signature):
        return "modified", f"its signature does not verify with key {fingerprint(key)[:16]}…"
    if size not in roots:
        return "truncated", f"it covers {size} events, more than are stored"
    if roots[size].hex() != root:
        return "rewritten", f"the first {size} events no longer hash to its root"
    return None

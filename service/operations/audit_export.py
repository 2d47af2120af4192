"""One process's audit record as a JSON-lines file that `tools/verify_export.py` checks offline.

Line 1 is the header (the process, the signed checkpoint, the public key), then the diagram
version, then one line per event with its hashed record and its inclusion proof against the
checkpoint, and a last line that says how many lines came before it, so a cut file shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from service.db.audit_log import event_record
from service.db.models import Checkpoint, Event, ProcessInstance
from service.db.uow import UnitOfWork
from service.operations.actors import Actor, SystemActor
from service.operations.audit import CHAIN_COLUMNS, LATEST_CHECKPOINT, LEAVES, checkpoint
from service.operations.reading import visible_instance
from service.operations.signing import ORIGIN, fingerprint, public_pem, verifying_key
from workflows.audit import canonical_json, event_leaf, inclusion_proof, tree_levels

FORMAT = "antq-audit-export/1"


def export(
    uow: UnitOfWork,
    actor: Actor | SystemActor,
    process_id: int,
    key_path: Path,
    witness_dir: Path,
    *,
    sign_first: bool = False,
) -> str:
    """The export file's text: each event with its proof against the latest checkpoint; events
    after it are checked by their chain only.

    `sign_first` (the command line) signs a checkpoint first if the latest one does not cover
    every event of the process. A download (a GET) never writes: the scheduler signs one every
    15 minutes, and auditors can sign one before they export.

    :raise NotFound: no such process. :raise Forbidden: the actor does not read it in full
        (service.operations.reading), or may not sign the checkpoint `sign_first` asks for.
    """
    with uow:
        visible_instance(uow, actor, process_id)
        last = uow.session.scalar(select(func.max(Event.id)).filter_by(instance_id=process_id))
        through = uow.session.scalar(select(func.count()).where(Event.id <= (last or 0)))
        signed = uow.session.scalar(select(func.max(Checkpoint.tree_size))) or 0
    if sign_first and through and through > signed:
        checkpoint(uow, actor, key_path, witness_dir)
    key = verifying_key(key_path)
    with uow:
        lines = _lines(uow, process_id)
        lines[0]["header"] |= {
            "public_key": None if key is None else public_pem(key),
            "key_fingerprint": None if key is None else fingerprint(key),
        }
    lines.append({"end": {"lines": len(lines)}})
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def _lines(uow: UnitOfWork, process_id: int) -> list[dict[str, Any]]:
    session = uow.session
    instance = session.get_one(
        ProcessInstance, process_id, options=[joinedload(ProcessInstance.definition)]
    )
    signed = session.scalars(LATEST_CHECKPOINT).first()
    size = 0 if signed is None else signed.tree_size
    leaves = session.execute(LEAVES.limit(size)).all()
    place = {event_id: i for i, (event_id, _) in enumerate(leaves)}
    levels = tree_levels([event_leaf(h) for _, h in leaves]) if leaves else []
    query = select(*CHAIN_COLUMNS).filter_by(instance_id=process_id).order_by(Event.seq)
    rows = session.execute(query)
    events = [
        {
            "id": row.id,
            "seq": row.seq,
            "record": json.loads(canonical_json(event_record(row))),
            "prev_hash": row.prev_hash,
            "hash": row.hash,
            "leaf_index": place.get(row.id),
            "proof": [p.hex() for p in inclusion_proof(levels, place[row.id])]
            if row.id in place
            else None,
        }
        for row in rows
    ]
    definition = instance.definition
    header = {
        "format": FORMAT,
        "origin": ORIGIN,
        "process_id": instance.id,
        "title": instance.title,
        "exported_at": uow.now().isoformat(),
        "head": {"seq": instance.last_event_seq, "hash": instance.last_event_hash},
        "events": len(events),
        "checkpoint": None
        if signed is None
        else {
            "id": signed.id,
            "tree_size": signed.tree_size,
            "note": signed.note,
            "signature": signed.signature,
            "key_fingerprint": signed.key_fingerprint,
        },
    }
    diagram = {
        "process_id": definition.process_id,
        "version": definition.version,
        "filename": definition.filename,
        "sha256": definition.sha256,
        "bpmn": definition.bpmn,
    }
    return [{"header": header}, {"definition": diagram}, *({"event": e} for e in events)]

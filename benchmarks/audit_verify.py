"""How fast the audit log verifies: events per second over 100,000 events.

    .venv/bin/python benchmarks/audit_verify.py [--events 100000] [--database-url URL]

Starts 1,000 plans through the service, then inserts the rest of the events directly (hashed and
chained as `append_event` would, 100 per plan), signs one checkpoint, and times: a full
`verify` (every chain, the Merkle root, the signature, the witness copy), the pure hashing part
of it alone, the checkpoint, and one process's export. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from benchmarks.completion import make_service
from service.db.audit_log import event_record
from service.db.models import Event, ProcessInstance
from service.db.uow import UnitOfWork
from service.operations.actors import SYSTEM
from service.operations.audit import CHAIN_COLUMNS, checkpoint, verify
from service.operations.audit_export import export
from service.operations.processes import start_process
from service.operations.signing import verifying_key
from workflows.audit import Link, event_hash, event_leaf, merkle_root, verify_chain

PLANS = 1_000
DATA = {  # what a Finance approval records: the step, the decision and what changed
    "step": "finance_appraisal",
    "decision": "approve",
    "comment": "Điều chỉnh mức quà cấp xã.",
    "changes": [{"path": "budget_lines[1].unit_amount", "old": 500_000, "new": 400_000}],
}


def seconds(run: Callable[[], Any], repeat: int = 3) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def fill(factory: Any, police: Any, events: int) -> None:
    """PLANS plans through the service, then `events` in all, chained as append_event does."""
    for n in range(PLANS):
        start_process(UnitOfWork(factory), police, "plan_chain", f"Kế hoạch số {n}")
    per_plan = events // PLANS
    with factory() as session:
        instances = session.execute(
            select(
                ProcessInstance.id,
                ProcessInstance.last_event_seq,
                ProcessInstance.last_event_hash,
            )
        ).all()
        when = datetime(2026, 1, 5, 2, tzinfo=UTC)
        for instance_id, started, head in instances:
            rows = []
            for seq in range(started + 1, per_plan + 1):
                record = {"instance_id": instance_id, "seq": seq, "action": "task_completed",
                          "task_id": None, "actor_id": police.user_id,
                          "agency_id": police.agency_id, "role": "finance", "data": DATA,
                          "created_at": when + timedelta(minutes=seq)}  # fmt: skip
                digest = event_hash(record, head)
                rows.append(record | {"prev_hash": head, "hash": digest})
                head = digest
            session.execute(insert(Event), rows)
            session.execute(
                update(ProcessInstance)
                .where(ProcessInstance.id == instance_id)
                .values(last_event_seq=per_plan, last_event_hash=head)
            )
        session.commit()


def hashing_alone(factory: Any) -> float:
    """The pure part of verify, on rows already in memory: chains and the Merkle root."""
    with factory() as session:
        rows = session.execute(select(*CHAIN_COLUMNS).order_by(Event.instance_id, Event.seq)).all()
        heads = dict(
            session.execute(select(ProcessInstance.id, ProcessInstance.last_event_hash)).all()
        )

    def run() -> None:
        chains: dict[int, list[Link]] = {}
        for r in rows:
            chains.setdefault(r.instance_id, []).append(
                Link(r.id, r.seq, event_record(r), r.prev_hash, r.hash)
            )
        for instance_id, links in chains.items():
            assert verify_chain(links, links[-1].seq, heads[instance_id]) is None
        merkle_root([event_leaf(r.hash) for r in sorted(rows, key=lambda r: r.id)])

    return seconds(run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        app, factory, police = make_service(url)
        key_path, witness = Path(tmp) / "audit.pem", Path(tmp) / "witness"
        began = time.perf_counter()
        fill(factory, police, args.events)
        print(f"filled {args.events:,} events in {time.perf_counter() - began:.1f} s")
        signed = seconds(
            lambda: checkpoint(UnitOfWork(factory), SYSTEM, key_path, witness), repeat=1
        )
        key = verifying_key(key_path)
        report = verify(UnitOfWork(factory, write=False), SYSTEM, witness, key)
        assert report["first_broken"] is None and report["events_checked"] == args.events, report
        full = seconds(lambda: verify(UnitOfWork(factory, write=False), SYSTEM, witness, key))
        pure = hashing_alone(factory)
        exported = seconds(lambda: export(UnitOfWork(factory), SYSTEM, 1, key_path, witness))
        app.extensions["db_engine"].dispose()
    print(f"database: {url.split(':')[0]}")
    print(f"checkpoint (root over {args.events:,} events, sign, witness copy): {signed:.2f} s")
    print(f"verify, everything: {full:.2f} s -> {args.events / full:,.0f} events/s")
    print(f"  of which hashing in memory: {pure:.2f} s -> {args.events / pure:,.0f} events/s")
    print(f"export of one process (100 events, proofs against the full tree): {exported:.2f} s")


if __name__ == "__main__":
    main()

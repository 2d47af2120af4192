"""Cascading a plan to many units, and what one unit's completion costs at that scale.

    .venv/bin/python benchmarks/cascade.py [--units 10 10000] [--database-url URL]

For each size N (a fresh SQLite database unless --database-url), a province plan addressed to
N units is signed: the signature starts N child instances in one transaction. Then 50 units
each complete their draft step through the same operation the API calls.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from benchmarks.completion import make_service
from service.cli import DEMO
from service.db.models import Agency, ProcessInstance, Task, User, UserRole
from service.db.uow import UnitOfWork
from service.operations.actors import authenticate
from service.operations.processes import start_process
from service.operations.tasks import complete_task

PLAN = json.loads((DEMO / "plan_thanh_hoa_2023.json").read_text(encoding="utf-8"))
CHAIN = ["thanhhoa.taichinh", "thanhhoa.thiduakhenthuong", "thanhhoa.chutich"]
SAMPLE = 50


def add_units(factory: Any, n: int) -> list[str]:
    """N schools under Thanh Hóa, each its own level; SAMPLE of them get a user."""
    with factory() as session:
        province = session.scalar(select(Agency.id).where(Agency.code == "thanh-hoa"))
        codes = [f"bench-school-{i:05d}" for i in range(n)]
        session.execute(
            insert(Agency),
            [
                {"code": c, "name": f"Trường THCS số {i}", "kind": "school", "parent_id": province}
                for i, c in enumerate(codes)
            ],
        )
        session.execute(text("UPDATE agency SET jurisdiction_id = id WHERE code LIKE 'bench-%'"))
        ids = dict(
            session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(codes))).all()
        )
        password = session.scalar(select(User.password_hash).limit(1))
        for code in codes[:SAMPLE]:
            user = User(
                username=code,
                full_name="Cán bộ",
                password_hash=password,
                agency_id=ids[code],
                roles=[UserRole(role="standing_body")],
            )
            session.add(user)
        session.commit()
    return codes


def run(n: int, database_url: str) -> dict[str, float]:
    app, factory, police = make_service(database_url)
    codes = add_units(factory, n)
    plan = {
        **PLAN,
        "addressed_units": codes,
        "deadlines": [{"what": "Báo cáo", "due": "2030-08-20", "kind": "unit_report"}],
    }
    uow = lambda: UnitOfWork(factory)  # noqa: E731
    process = start_process(uow(), police, "plan_chain", "bench")

    def complete_open(user: str, data: dict[str, Any], decision: str = "approve") -> float:
        actor = authenticate(uow(), user, "demo-2023")
        with factory() as session:
            task_id = session.scalar(
                select(Task.id).where(Task.instance_id == process, Task.state == "open")
            )
        began = time.perf_counter()
        complete_task(uow(), actor, task_id, decision, None, data)
        return time.perf_counter() - began

    complete_open("thanhhoa.congan", plan, "submit")
    complete_open(CHAIN[0], {})
    complete_open(CHAIN[1], {"nominations": [{**n, "accepted": True} for n in PLAN["nominations"]]})
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cascade_s = complete_open(CHAIN[2], {})  # the signature issues the plan to N units
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024

    samples = []
    unit_plan = {
        "title": "Kế hoạch của trường",
        "year": 2023,
        "window": {"start": "2023-07-01", "end": "2023-08-19"},
        "sections": [{"heading": "I. MỤC ĐÍCH", "body": "Tổ chức Ngày hội tại trường."}],
    }
    with factory() as session:
        children = dict(
            session.execute(
                select(Agency.code, Task.id)
                .join(ProcessInstance, ProcessInstance.jurisdiction_id == Agency.id)
                .join(Task, Task.instance_id == ProcessInstance.id)
                .where(ProcessInstance.parent_id == process, Agency.code.in_(codes[:SAMPLE]))
            ).all()
        )
    for code in codes[:SAMPLE]:
        actor = authenticate(uow(), code, "demo-2023")
        began = time.perf_counter()
        complete_task(uow(), actor, children[code], "submit", None, unit_plan)
        samples.append((time.perf_counter() - began) * 1000)
    app.extensions["db_engine"].dispose()
    return {
        "cascade_s": cascade_s,
        "cascade_peak_mb": peak_mb,
        "unit_completion_ms": statistics.median(samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, nargs="+", default=[10, 10_000])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if len(args.units) > 1:  # one process per size, so each peak RSS is its own
        for n in args.units:
            extra = ["--database-url", args.database_url] if args.database_url else []
            subprocess.run(
                [sys.executable, "-m", "benchmarks.cascade", "--units", str(n), *extra], check=True
            )
        return
    (n,) = args.units
    with tempfile.TemporaryDirectory() as tmp:
        result = run(n, args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
    print(
        f"N={n:>6}: signing + issuing to N units {result['cascade_s']:6.2f} s "
        f"(peak RSS grew {result['cascade_peak_mb']:5.0f} MB); "
        f"one unit's completion {result['unit_completion_ms']:5.2f} ms (median of {SAMPLE})"
    )


if __name__ == "__main__":
    main()

"""Cascading a plan to many units, and what one unit's completion costs at that scale.

    .venv/bin/python -m benchmarks.cascade [--units 10 10000] [--database-url URL] [--inline]

For each size N (a fresh SQLite database unless --database-url), a province plan addressed to
N units is signed. Up to APP_FANOUT_INLINE_MAX (200) units the signature starts the N child
instances in its own transaction; beyond, it leaves a fan-out job that the worker's step
(`issue_pending`, run here in process as `flask render-worker` runs it) takes in batches of
500. Printed: the signing's answer, the time until every unit's instance exists (the signing
plus the worker's batches, back to back), and the process's peak RSS meanwhile with how far it
rose above the RSS before the signing (Linux: the peak is reset there). Then 50 units each
complete their draft step through the same operation the API calls. `--inline`: every size
issued inside the signing, as before fan-out jobs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

from benchmarks.completion import make_service
from service.cli import DEMO
from service.db.models import Agency, ProcessInstance, Task, User, UserRole
from service.db.uow import UnitOfWork
from service.operations.actors import authenticate
from service.operations.fanout import issue_pending
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


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_peak_rss() -> int:
    """Start the peak RSS afresh (Linux: clear_refs 5) and return the current RSS, in KB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS")


def _peak_rss() -> int:
    return _status_kb("VmHWM")


def run(n: int, database_url: str, inline: bool = False) -> dict[str, float]:
    app, factory, police = make_service(database_url)
    codes = add_units(factory, n)
    plan = {
        **PLAN,
        "addressed_units": codes,
        "deadlines": [{"what": "Báo cáo", "due": "2030-08-20", "kind": "unit_report"}],
    }

    def uow() -> UnitOfWork:
        return UnitOfWork(factory)

    process = start_process(uow(), police, "plan_chain", "bench")

    def complete_open(user: str, data: dict[str, Any], decision: str = "approve") -> float:
        actor = authenticate(uow(), user, "demo-2023")
        with factory() as session:
            task_id = session.scalar(
                select(Task.id).where(Task.instance_id == process, Task.state == "open")
            )
        rss_before[0] = _reset_peak_rss()  # after the login: argon2 takes 64 MB for a moment
        began = time.perf_counter()
        complete_task(uow(), actor, task_id, decision, None, data, fanout_inline_max=inline_max)
        return time.perf_counter() - began

    inline_max = n if inline else None
    rss_before = [0]

    complete_open("thanhhoa.congan", plan, "submit")
    complete_open(CHAIN[0], {})
    complete_open(CHAIN[1], {"nominations": [{**n, "accepted": True} for n in PLAN["nominations"]]})
    signing_s = complete_open(CHAIN[2], {})  # the signature issues the plan to N units
    began = time.perf_counter()
    issue_pending(uow)  # the worker's part, if any
    issued_s = signing_s + time.perf_counter() - began
    peak = _peak_rss()
    with factory() as session:
        count = session.scalar(select(func.count()).where(ProcessInstance.parent_id == process))
    assert count == n, (count, n)

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
        "signing_s": signing_s,
        "issued_s": issued_s,
        "peak_mb": peak / 1024,
        "grew_mb": (peak - rss_before[0]) / 1024,
        "unit_completion_ms": statistics.median(samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, nargs="+", default=[10, 10_000])
    parser.add_argument("--database-url")
    parser.add_argument("--inline", action="store_true", help="issue inline at every size")
    args = parser.parse_args()
    if len(args.units) > 1:  # one process per size, so each peak RSS is its own
        for n in args.units:
            extra = ["--database-url", args.database_url] if args.database_url else []
            extra += ["--inline"] if args.inline else []
            subprocess.run(
                [sys.executable, "-m", "benchmarks.cascade", "--units", str(n), *extra], check=True
            )
        return
    (n,) = args.units
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        result = run(n, url, args.inline)
    print(
        f"N={n:>6}: signing answers {result['signing_s']:5.2f} s, all N units issued "
        f"{result['issued_s']:5.2f} s; peak RSS {result['peak_mb']:4.0f} MB "
        f"(grew {result['grew_mb']:3.0f} MB); "
        f"one unit's completion {result['unit_completion_ms']:5.2f} ms (median of {SAMPLE})"
    )


if __name__ == "__main__":
    main()

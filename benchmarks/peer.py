"""The whole chain as one peer walks it over HTTP: list → open → submit, step after step.

    .venv/bin/python -m benchmarks.peer [--chains 20] [--database-url URL]

One HTTP client (one keep-alive connection, one request at a time) against gunicorn with 1 and
then 2 workers. Each chain is the walk of benchmarks.statements: the province's plan (draft,
appraisal, award review, signature, which issues it to one department), the department's own
chain (its plan, signature, report, the head's signature), then the province's report and its
signature: ten completions. Per completion the client lists the process's tasks
(`GET /tasks?process=`), opens the task and submits it. Who acts next is read from the database
outside the timing, as a peer would know whose turn it is.

Printed: completions/s over the walks, p50/p95 of one list → open → submit, the same chain's
completions by SpiffWorkflow alone (its own serializer, spec embedded: load → complete → save,
nothing else) and the ratio, and the load average. Figures, not tests: nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import select

from benchmarks.completion import Client, make_service, percentile
from benchmarks.statements import UNIT, Counter, Walker, data_for
from service.cli import BPMN
from service.db.models import Task
from service.operations.cascade import REQUIRED_ROLES, message
from tests.gunicorn_server import Gunicorn
from workflows.runtime import Runtime
from workflows.specs import load_definition

WORKERS = (1, 2)
# The dates the service hands the diagram's timers (engine_deadlines); far off, so none fires.
DEADLINES = {"deadline_result": "2030-08-21T00:00:00+07:00"}


def spiff_alone(repeat: int) -> tuple[float, int]:
    """Median ms of SpiffWorkflow's load → complete → save over the chain's completions, and
    how many completions a chain has. The walk itself runs on `Runtime`; each step is timed on
    a copy dumped with SpiffWorkflow's own serializer (the engine's plain cost, as in
    /work/shared/engine_bench)."""
    definition = load_definition("plan_chain.bpmn", (BPMN / "plan_chain.bpmn").read_bytes())
    plain = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    now = datetime.now(UTC)
    samples: list[float] = []

    def release(runtime: Runtime) -> None:
        """Its units have reported (or it addressed none): the rounds it waits for end."""
        for round_ in definition.report_rounds:
            if runtime.awaits(message(round_)):
                runtime.deliver(message(round_), now)

    def walk(runtime: Runtime) -> None:
        """Complete the ready tasks until the workflow ends or waits for its units."""
        while runtime.ready_tasks():
            task = runtime.ready_tasks()[0]
            decision = "submit" if task.form in ("draft_plan", "consolidate_report") else "approve"
            data = {"decision": decision, **DEADLINES}
            state = plain.serialize_json(runtime._wf)  # noqa: SLF001  # the same workflow
            began = time.perf_counter()
            workflow = plain.deserialize_json(state)
            workflow.script_engine = runtime._wf.script_engine  # noqa: SLF001
            spiff_task = workflow.get_task_from_id(UUID(task.id))
            spiff_task.set_data(**data)
            spiff_task.run()
            workflow.do_engine_steps()
            plain.serialize_json(workflow)
            samples.append((time.perf_counter() - began) * 1000)
            runtime.complete(task.id, data, now)

    for _ in range(repeat):
        province = Runtime.start(definition, list(definition.roles), now)
        walk(province)  # to the signature, which issues the plan
        unit = Runtime.start(definition, list(REQUIRED_ROLES), now)
        walk(unit)  # the department's plan and signature; it addresses nobody
        release(unit)
        walk(unit)  # its report and the head's signature
        assert unit.completed
        release(province)  # its one unit has reported
        walk(province)  # the province's report and its signature
        assert province.completed
    return statistics.median(samples), len(samples) // repeat


class PeerWalker(Walker):
    """The statements benchmark's walk, over one HTTP connection to a server, timed."""

    def __init__(self, app: Any, port: int) -> None:
        super().__init__(app, Counter(app.extensions["db_engine"]), [])
        self.connection = Client(port)
        self.cycles: list[float] = []  # ms of each list → open → submit

    def call(self, method: str, path: str, key: str, body: Any = None) -> Any:
        return self.connection.call(method, path, key, body)

    def walk(self, process_id: int, units: list[str]) -> None:
        while True:
            with self.factory() as session:  # whose turn: outside the timing
                task = session.scalars(
                    select(Task).where(Task.instance_id == process_id, Task.state == "open")
                ).first()
            if task is None:
                return
            key = self.token(task.agency_id, task.role)
            began = time.perf_counter()
            listed = self.call("GET", f"/tasks?process={process_id}", key)
            assert any(t["id"] == task.id for t in listed), listed
            document = self.call("GET", f"/tasks/{task.id}", key)["document"]
            decision, data = data_for(task.form, document, units)
            body = {"decision": decision, "data": data}
            self.call("POST", f"/tasks/{task.id}/complete", key, body)
            self.cycles.append((time.perf_counter() - began) * 1000)


def chains(walker: PeerWalker, count: int, police: Any) -> float:
    """Walk `count` whole chains as Công an tỉnh starts them; seconds taken (each start
    included)."""
    province_key = walker.token(police.agency_id, "standing_body")
    began = time.perf_counter()
    for _ in range(count):
        body = {"definition": "plan_chain", "title": "b"}
        province = walker.call("POST", "/processes", province_key, body)["id"]
        walker.walk(province, [UNIT])
        (unit,) = walker.call("GET", f"/processes/{province}/children", province_key)
        walker.walk(unit["process_id"], [])
        walker.walk(province, [])
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chains", type=int, default=20, help="whole chains per set-up")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    load_before = os.getloadavg()
    spiff_ms, steps = spiff_alone(repeat=20)
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app, _factory, police = make_service(url)
        for workers in WORKERS:
            server = Gunicorn(url, "bench", Path(tmp), workers=workers)
            server.start()
            try:
                walker = PeerWalker(app, server.port)
                seconds = chains(walker, args.chains, police)
                runs[workers] = (len(walker.cycles) / seconds, walker.cycles)
            finally:
                server.stop()
        app.extensions["db_engine"].dispose()
    load_after = os.getloadavg()
    print(
        f"database: {url.split(':')[0]}; one HTTP client; {args.chains} whole chains of "
        f"{steps} completions per set-up; load average (1 min) {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after, on {os.cpu_count()} cores"
    )
    print(
        f"SpiffWorkflow alone, load → complete → save per completion: {spiff_ms:.2f} ms (median)"
        f" = {1000 / spiff_ms:.0f} completions/s"
    )
    for workers, (per_second, cycles) in runs.items():
        p50, p95 = percentile(cycles, 0.50), percentile(cycles, 0.95)
        print(
            f"gunicorn {workers} worker(s): {per_second:5.1f} completions/s; list → open → submit"
            f" p50 {p50:.1f} ms, p95 {p95:.1f} ms; p50 = {p50 / spiff_ms:.0f}x SpiffWorkflow alone"
        )


if __name__ == "__main__":
    main()

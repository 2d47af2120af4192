"""What one task completion costs: engine alone, the service operation, and through HTTP.

    .venv/bin/python -m benchmarks.completion [--plans 100] [--clients 8] [--database-url URL]

Prints medians and throughput; asserts nothing (figures, not tests).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from service.app import create_app
from service.cli import BPMN, DEMO, DEMO_PASSWORD, DEMO_TOTP_SECRET
from service.config import Settings
from service.db.migrate import upgrade
from service.db.uow import UnitOfWork
from service.operations.actors import SYSTEM, authenticate, password_hasher
from service.operations.definitions import deploy
from service.operations.directory import load_directory
from service.operations.processes import start_process
from service.states import TaskState
from tests.gunicorn_server import ROOT, Gunicorn
from workflows.runtime import Runtime
from workflows.specs import load_definition

PLAN = json.loads((DEMO / "plan_thanh_hoa_2023.json").read_text(encoding="utf-8"))
CHAIN = [  # (user, decision, data, step) for one plan, approved first time
    ("thanhhoa.congan", "submit", PLAN, "draft_plan"),
    ("thanhhoa.taichinh", "approve", {}, "finance_appraisal"),
    (
        "thanhhoa.thiduakhenthuong",
        "approve",
        {"nominations": [{**n, "accepted": True} for n in PLAN["nominations"]]},
        "award_review",
    ),
    ("thanhhoa.chutich", "approve", {}, "chairman_sign"),
]
SIGNER = CHAIN[-1][0]


def median_ms(run: Callable[[], None], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def engine_runs() -> tuple[Callable[[], None], Callable[[], None]]:
    """Load → complete the draft → save, once: SpiffWorkflow's own serializer, our Runtime."""
    definition = load_definition("plan_chain.bpmn", (BPMN / "plan_chain.bpmn").read_bytes())
    roles = list(definition.roles)
    plain = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    ours = Runtime.start(definition, roles, datetime.now(UTC))
    plain_state = plain.serialize_json(ours._wf)  # noqa: SLF001  # the same workflow, spec embedded
    state = ours.dump()

    def spiff_alone() -> None:
        workflow = plain.deserialize_json(plain_state)
        workflow.script_engine = ours._wf.script_engine  # noqa: SLF001
        (task,) = workflow.get_tasks(state=16, manual=True)  # TaskState.READY
        task.set_data(decision="submit")
        task.run()
        workflow.do_engine_steps()
        plain.serialize_json(workflow)

    def runtime() -> None:
        restored = Runtime.restore(definition, state)
        restored.complete(restored.ready_tasks()[0].id, {"decision": "submit"}, datetime.now(UTC))
        restored.dump()

    return spiff_alone, runtime


def engine_figures(repeat: int = 200) -> tuple[float, float]:
    """Medians of `engine_runs`' two, in ms."""
    spiff_alone, runtime = engine_runs()
    return median_ms(spiff_alone, repeat), median_ms(runtime, repeat)


def make_service(database_url: str) -> Any:
    upgrade(database_url)
    app = create_app(Settings(database_url=database_url, secret_key="bench"))
    factory = app.extensions["session_factory"]
    directory = tomllib.loads((DEMO / "directory.toml").read_text(encoding="utf-8"))
    demo_hash = password_hasher().hash(DEMO_PASSWORD)
    load_directory(UnitOfWork(factory), directory, demo_hash, DEMO_TOTP_SECRET)
    deploy(UnitOfWork(factory), SYSTEM, "plan_chain.bpmn", (BPMN / "plan_chain.bpmn").read_bytes())
    police = authenticate(UnitOfWork(factory), "thanhhoa.congan", DEMO_PASSWORD)
    return app, factory, police


class Client:
    """One client's keep-alive connection to the API (gthread workers keep it open)."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port)

    def call(self, method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None if body is None else json.dumps(body).encode()
        try:
            self.connection.request(method, "/api/v1" + path, body=payload, headers=headers)
            answer = self.connection.getresponse()
        # the server closed an idle keep-alive (gunicorn's keepalive is 2 s): reopen
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.connection.close()
            self.connection.request(method, "/api/v1" + path, body=payload, headers=headers)
            answer = self.connection.getresponse()
        content = answer.read()
        assert answer.status < 300, content
        return json.loads(content)


def tokens(app: Any) -> dict[str, str]:
    """Each chain user's token, asked for once in process (a signer's code works only once)
    and good for every server below: they share the database and the secret key."""
    client = app.test_client()
    login = {"password": DEMO_PASSWORD, "otp": pyotp.TOTP(DEMO_TOTP_SECRET).now()}
    return {
        user: client.post("/api/v1/auth/token", json={"username": user, **login}).json["token"]
        for user, *_ in CHAIN
    }


def percentile(samples: list[float], share: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[round(share * 100) - 1]


def http_figures(port: int, plans: int, clients: int, keys: dict[str, str]) -> dict[str, float]:
    """Start `plans` plans, then walk each through the chain: at every step the clients share
    the step's open tasks, and each task is opened and completed (GET + POST). Latency is the
    POST's; throughput counts completions over the whole run."""
    setup = Client(port)
    for _ in range(plans):
        setup.call(
            "POST",
            "/processes",
            keys["thanhhoa.congan"],
            {"definition": "plan_chain", "title": "b"},
        )
    local = threading.local()
    latencies: list[float] = []
    signing: list[float] = []  # the Chairman's step, which numbers and issues the document

    def complete(job: tuple[str, str, dict[str, Any], int]) -> None:
        user, decision, data, task_id = job
        if not hasattr(local, "client"):
            local.client = Client(port)
        local.client.call("GET", f"/tasks/{task_id}", keys[user])
        began = time.perf_counter()
        local.client.call(
            "POST", f"/tasks/{task_id}/complete", keys[user], {"decision": decision, "data": data}
        )
        took = (time.perf_counter() - began) * 1000
        latencies.append(took)
        if user == SIGNER:
            signing.append(took)

    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for user, decision, data, step in CHAIN:
            inbox = setup.call("GET", f"/tasks?step={step}&limit={plans}", keys[user])
            list(pool.map(complete, [(user, decision, data, task["id"]) for task in inbox]))
    elapsed = time.perf_counter() - began
    return {
        "per_second": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "signing_p50": statistics.median(signing),
        # the steps run one after another, so the signings are the last of the latencies
        "others_p50": statistics.median(latencies[: len(latencies) - len(signing)]),
    }


class RenderWorker:
    """`flask render-worker`, as scripts/run.sh and serve.sh start it beside the web server: the
    signed documents are rendered while the clients go on (on the same two cores)."""

    def __init__(self, database_url: str, instance: Path) -> None:
        env = {**os.environ, "APP_DATABASE_URL": database_url, "APP_SECRET_KEY": "bench" * 8}
        env["APP_INSTANCE_DIR"] = str(instance)
        command = [sys.executable, "-m", "flask", "--app", "service", "render-worker"]
        self.process = subprocess.Popen(  # noqa: S603  # our interpreter, fixed arguments
            [*command, "--interval", "0.2"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
        )

    def wait_idle(self, factory: Any) -> float:
        """Seconds until every document is rendered."""
        from sqlalchemy import func, select

        from service.db.models import RenderJob

        began = time.perf_counter()
        while True:
            with factory() as session:
                left = session.scalar(
                    select(func.count()).select_from(RenderJob).where(RenderJob.done_at.is_(None))
                )
            if not left:
                return time.perf_counter() - began
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def operation_figure(
    factory: Any, police: Any, plans: int, alongside: Callable[[], None]
) -> tuple[float, float]:
    """The complete_task operation alone (no HTTP): the draft step of fresh plans, each timed
    right after one run of `alongside` (SpiffWorkflow alone). Medians of both, in ms: taken in
    the same minutes, their ratio holds while this machine's speed drifts (it moves by half
    within minutes), where two figures taken apart did not."""
    from service.db.models import Task
    from service.operations.tasks import complete_task

    ids = [start_process(UnitOfWork(factory), police, "plan_chain", "bench") for _ in range(plans)]
    with factory() as session:
        tasks = [
            session.query(Task.id).filter_by(instance_id=i, state=TaskState.OPEN).scalar()
            for i in ids
        ]
    samples, engine = [], []
    for task_id in tasks:
        began = time.perf_counter()
        alongside()
        engine.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        complete_task(UnitOfWork(factory), police, task_id, "submit", None, PLAN)
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), statistics.median(engine)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        spiff_ms, runtime_ms = engine_figures()
        app, factory, police = make_service(url)
        operation_ms, beside_ms = operation_figure(factory, police, args.plans, engine_runs()[0])
        keys = tokens(app)
        app.extensions["db_engine"].dispose()
        runs = {}
        for workers, clients in ((1, 1), (1, args.clients), (4, args.clients)):
            server = Gunicorn(url, "bench", Path(tmp), workers=workers)
            server.start()
            renderer = RenderWorker(url, Path(tmp))
            try:
                runs[workers, clients] = http_figures(server.port, args.plans, clients, keys)
                runs[workers, clients]["documents_after"] = renderer.wait_idle(factory)
            finally:
                renderer.stop()
                server.stop()
    load_after = os.getloadavg()
    print(
        f"database: {url.split(':')[0]}; load average (1 min) {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after, on {os.cpu_count()} cores"
    )
    print(f"engine load-complete-save, SpiffWorkflow serializer : {spiff_ms:6.2f} ms (median)")
    print(f"engine load-complete-save, workflows.Runtime        : {runtime_ms:6.2f} ms (median)")
    print(
        f"service complete_task operation (one transaction)   : {operation_ms:6.2f} ms (median)"
        f"  = {operation_ms / beside_ms:.1f}x SpiffWorkflow alone timed alongside"
        f" ({beside_ms:.2f} ms)"
    )
    for (workers, clients), run in runs.items():
        alone = run["p50"] / spiff_ms  # with one client, nothing queues: the HTTP service's cost
        print(
            f"HTTP open + complete, gunicorn {workers} worker(s), {clients} client(s): "
            f"{run['per_second']:5.0f} completions/s, POST p50 {run['p50']:.1f} ms, "
            f"p95 {run['p95']:.1f} ms, p99 {run['p99']:.1f} ms"
            + (f"  (p50 = {alone:.0f}x SpiffWorkflow alone)" if clients == 1 else "")
        )
        print(
            f"    signing step (numbers the plan, issues its document): POST p50 "
            f"{run['signing_p50']:.1f} ms; the three steps before it: "
            f"p50 {run['others_p50']:.1f} ms; the render worker finished the documents "
            f"{run['documents_after']:.1f} s after the last completion"
        )


if __name__ == "__main__":
    main()

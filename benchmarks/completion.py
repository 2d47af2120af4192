"""What one task completion costs: engine alone, the service operation, and through HTTP.

    .venv/bin/python benchmarks/completion.py [--plans 100] [--database-url URL]

Prints medians and throughput; asserts nothing (figures, not tests).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from service.operations.actors import authenticate, password_hasher
from service.operations.definitions import deploy
from service.operations.directory import load_directory
from service.operations.processes import start_process
from workflows.runtime import Runtime
from workflows.specs import load_definition

PLAN = json.loads((DEMO / "plan_thanh_hoa_2023.json").read_text(encoding="utf-8"))
CHAIN = [  # (user, decision, data) for one plan, approved first time
    ("thanhhoa.congan", "submit", PLAN),
    ("thanhhoa.taichinh", "approve", {}),
    ("thanhhoa.thiduakhenthuong", "approve", {}),
    ("thanhhoa.chutich", "approve", {}),
]


def median_ms(run: Callable[[], None], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def engine_figures(repeat: int = 200) -> tuple[float, float]:
    """Load → complete the draft → save: SpiffWorkflow's own serializer vs our Runtime."""
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

    return median_ms(spiff_alone, repeat), median_ms(runtime, repeat)


def make_service(database_url: str) -> Any:
    upgrade(database_url)
    app = create_app(Settings(database_url=database_url, secret_key="bench"))
    factory = app.extensions["session_factory"]
    directory = tomllib.loads((DEMO / "directory.toml").read_text(encoding="utf-8"))
    demo_hash = password_hasher().hash(DEMO_PASSWORD)
    load_directory(UnitOfWork(factory), directory, demo_hash, DEMO_TOTP_SECRET)
    deploy(UnitOfWork(factory), "plan_chain.bpmn", (BPMN / "plan_chain.bpmn").read_bytes())
    police = authenticate(UnitOfWork(factory), "thanhhoa.congan", DEMO_PASSWORD)
    return app, factory, police


@contextmanager
def gunicorn(database_url: str, workers: int) -> Iterator[str]:
    """The service under gunicorn (gthread workers, so connections stay open) on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "APP_DATABASE_URL": database_url, "APP_SECRET_KEY": "bench"}
    server = subprocess.Popen(  # noqa: S603  # our own executable, fixed arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-k",
            "gthread",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "service:create_app()",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/openapi.json", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def http_figures(base: str, plans: int) -> tuple[float, float]:
    """List + open + submit per task, over loopback HTTP, one client."""

    host, port = base.split("//")[1].split("/")[0].split(":")
    prefix = "/" + base.split("//")[1].split("/", 1)[1]
    connection = http.client.HTTPConnection(host, int(port))  # kept alive by gthread workers

    def call(method: str, path: str, token: str | None = None, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        payload = None if body is None else json.dumps(body).encode()
        connection.request(method, prefix + path, body=payload, headers=headers)
        answer = connection.getresponse()
        content = answer.read()
        assert answer.status < 300, content
        return json.loads(content)

    otp = pyotp.TOTP(DEMO_TOTP_SECRET).now()  # each user signs in once: one code serves all
    login = {"password": DEMO_PASSWORD, "otp": otp}
    tokens = {
        user: call("POST", "/auth/token", body={"username": user, **login})["token"]
        for user, _, _ in CHAIN
    }
    for _ in range(plans):
        call(
            "POST",
            "/processes",
            tokens["thanhhoa.congan"],
            {"definition": "plan_chain", "title": PLAN["title"]},
        )
    latencies = []
    began = time.perf_counter()
    for user, decision, data in CHAIN:
        for _ in range(plans):
            start = time.perf_counter()
            task = call("GET", "/tasks?limit=1", tokens[user])[0]
            call("GET", f"/tasks/{task['id']}", tokens[user])
            call(
                "POST",
                f"/tasks/{task['id']}/complete",
                tokens[user],
                {"decision": decision, "data": data},
            )
            latencies.append((time.perf_counter() - start) * 1000)
    elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, statistics.median(latencies)


def operation_figure(factory: Any, police: Any, plans: int) -> float:
    """The complete_task operation alone (no HTTP): the draft step of fresh plans."""
    from service.db.models import Task
    from service.operations.tasks import complete_task

    ids = [start_process(UnitOfWork(factory), police, "plan_chain", "bench") for _ in range(plans)]
    with factory() as session:
        tasks = [
            session.query(Task.id).filter_by(instance_id=i, state="open").scalar() for i in ids
        ]
    samples = []
    for task_id in tasks:
        began = time.perf_counter()
        complete_task(UnitOfWork(factory), police, task_id, "submit", None, PLAN)
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=100)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        spiff_ms, runtime_ms = engine_figures()
        app, factory, police = make_service(url)
        operation_ms = operation_figure(factory, police, args.plans)
        app.extensions["db_engine"].dispose()
        with gunicorn(url, workers=1) as base:
            per_second, cycle_ms = http_figures(base, args.plans)
    print(f"database: {url.split(':')[0]}")
    print(f"engine load-complete-save, SpiffWorkflow serializer : {spiff_ms:6.2f} ms (median)")
    print(f"engine load-complete-save, workflows.Runtime        : {runtime_ms:6.2f} ms (median)")
    print(
        f"service complete_task operation (one transaction)   : {operation_ms:6.2f} ms (median)"
        f"  = {operation_ms / spiff_ms:.1f}x SpiffWorkflow alone"
    )
    print(
        f"HTTP list + open + submit, gunicorn, 1 worker      : {cycle_ms:6.2f} ms (median)"
        f"  -> {per_second:.0f} tasks/s"
    )


if __name__ == "__main__":
    main()

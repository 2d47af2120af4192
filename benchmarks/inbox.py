"""How long the inbox takes as the task table grows: 10,000 / 100,000 / 1,000,000 rows.

    scripts/with-postgres.sh bash -c '.venv/bin/python -m benchmarks.inbox \
        --database-url "$TEST_POSTGRESQL_URL"'

PostgreSQL only (the rows are made with generate_series). One real plan is started, then task
rows are added by SQL, ten per instance (each instance a copy of the real one), spread evenly
over every (agency, role) binding of the directory; one in ten is open, the rest completed.
For each size, the inbox (GET /api/v1/tasks, the first 50 of the caller's open tasks soonest
due first), the counts, and a title search are called 200 times in process (Flask's test
client, no network) as Công an tỉnh Thanh Hóa. Prints p50 and p95; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.completion import make_service, percentile
from service.cli import DEMO_PASSWORD
from service.db.models import ProcessInstance, RoleBinding, Task
from service.db.uow import UnitOfWork
from service.operations.processes import start_process

SIZES = (10_000, 100_000, 1_000_000)
TASKS_PER_INSTANCE = 10
CALLS = 200


def fill(factory: sessionmaker[Session], template: int, target: int) -> None:
    """Add task rows (and their instances) until the table holds `target`."""
    columns = [c.name for c in ProcessInstance.__table__.columns if c.name != "id"]
    with factory() as session:
        have = session.scalar(select(func.count()).select_from(Task)) or 0
        duties = session.execute(select(RoleBinding.agency_id, RoleBinding.role)).all()
        first = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
        rows = target - have
        instances = -(-rows // TASKS_PER_INSTANCE)
        session.execute(
            text(
                f"INSERT INTO process_instance ({', '.join(columns)}) "  # noqa: S608  # our columns
                f"SELECT {', '.join(columns)} FROM process_instance, generate_series(1, :n) "
                "WHERE id = :template"
            ),
            {"n": instances, "template": template},
        )
        session.execute(
            text(
                """
                INSERT INTO task (instance_id, engine_task_id, step, name, form, role, agency_id,
                                  state, created_at, completed_at, due_at, deadline_state, version)
                SELECT :first + (g - 1) / :per, 'bench-' || (:have + g), 'draft_plan',
                       'Lập kế hoạch', 'draft_plan', (CAST(:roles AS text[]))[1 + g % :k],
                       (CAST(:agencies AS int[]))[1 + g % :k],
                       CASE WHEN g % 10 = 0 THEN 'open' ELSE 'completed' END,
                       now() - g * interval '1 minute',
                       CASE WHEN g % 10 = 0 THEN NULL ELSE now() END,
                       now() + (g % 2000) * interval '1 hour',
                       CASE WHEN g % 10 = 0 THEN 'on_time' ELSE 'done' END, 1
                FROM generate_series(1, :rows) AS g
                """
            ),
            {
                "first": first,
                "per": TASKS_PER_INSTANCE,
                "have": have,
                "rows": rows,
                "roles": [role for _, role in duties],
                "agencies": [agency for agency, _ in duties],
                "k": len(duties),
            },
        )
        session.commit()
        session.execute(text("ANALYZE"))


def latencies(client: FlaskClient, path: str, token: str) -> tuple[float, float]:
    samples = []
    for _ in range(CALLS):
        began = time.perf_counter()
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        samples.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200, answer.json
    return statistics.median(samples), percentile(samples, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    app, factory, police = make_service(args.database_url)
    template = start_process(
        UnitOfWork(factory), police, "plan_chain", "Ngày hội toàn dân bảo vệ ANTQ"
    )
    client = app.test_client()
    login = {"username": "thanhhoa.congan", "password": DEMO_PASSWORD}
    token = client.post("/api/v1/auth/token", json=login).json["token"]
    print("task rows | caller's open | inbox p50 / p95 | counts p50 / p95 | search p50 / p95")
    for size in SIZES:
        began = time.perf_counter()
        fill(factory, template, size)
        filled = time.perf_counter() - began
        with factory() as session:
            mine = session.scalar(
                select(func.count())
                .select_from(Task)
                .where(Task.agency_id == police.agency_id, Task.state == "open")
            )
        figures = [
            latencies(client, path, token)
            for path in ("/api/v1/tasks", "/api/v1/tasks/counts", "/api/v1/tasks?q=ngay%20hoi")
        ]
        print(
            f"{size:>9,} | {mine:>13,} | "
            + " | ".join(f"{p50:5.1f} / {p95:5.1f} ms" for p50, p95 in figures)
            + f"   (filled in {filled:.0f} s)"
        )


if __name__ == "__main__":
    main()

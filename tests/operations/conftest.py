"""Operations called as the scheduler, the CLI and the routes call them: a unit of work on a
fresh copy of the demo template (tests/conftest.py's `database_url`: SQLite and PostgreSQL;
its name `session_factory` asks for the demo), the fake clock, and no Flask at all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from service.db.models import Task, User
from service.db.session import make_engine, make_session_factory
from service.db.uow import UnitOfWork
from service.operations.actors import Actor, load_actor

DEMO = Path(__file__).parents[2] / "service" / "demo"
PLAN_2023: dict[str, Any] = json.loads(
    (DEMO / "plan_thanh_hoa_2023.json").read_text(encoding="utf-8")
)
POLICE, COLLEAGUE = "thanhhoa.congan", "thanhhoa.congan.truongphong"
FINANCE, CHAIRMAN = "thanhhoa.taichinh", "thanhhoa.chutich"
SUBSTITUTE = "thanhhoa.vanphong.chanhvanphong"  # Chánh Văn phòng UBND tỉnh: may stand in
AUDITOR, ADMIN, UNIT = "thanhhoa.thanhtra", "admin", "thanhhoa.soyte"
AWARDS = "thanhhoa.thiduakhenthuong"  # Sở Nội vụ (Ban Thi đua - Khen thưởng): the award review


class Clock(Protocol):  # tests/conftest.py's FakeClock, without importing that Flask module
    now: datetime

    def __call__(self) -> datetime: ...

    def advance(self, **delta: float) -> None: ...


@dataclass
class Ops:
    """What an operation needs: units of work on the test's database, and who acts."""

    factory: sessionmaker[Session]
    clock: Clock
    key_path: Path
    witness_dir: Path

    def uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.factory, write=write, clock=self.clock)

    def actor(self, username: str) -> Actor:
        with self.factory() as session:
            user_id = session.scalars(select(User.id).filter_by(username=username)).one()
        return load_actor(self.uow(write=False), user_id)

    def at(self, day: str) -> None:
        """09:00 in Vietnam on `day` (ISO)."""
        self.clock.now = datetime.fromisoformat(f"{day}T02:00:00").replace(tzinfo=UTC)

    def open_tasks(self, process_id: int) -> list[Task]:
        with self.factory() as session:
            query = select(Task).filter_by(instance_id=process_id, state="open")
            return list(session.scalars(query.order_by(Task.id)))


@pytest.fixture
def session_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def ops(session_factory: sessionmaker[Session], clock: Clock, tmp_path: Path) -> Ops:
    return Ops(session_factory, clock, tmp_path / "audit_ed25519.pem", tmp_path / "witness")

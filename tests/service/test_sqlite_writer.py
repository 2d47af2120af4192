"""SQLite writers take turns: the threads of a process on a lock, the processes (web workers,
the scheduler, the render worker) on a lock file beside the database, before SQLite's own
write lock. A writer that finds the turn taken waits for it and starts when it is released,
instead of sleeping in SQLite's busy handler (1 … 100 ms between tries)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from service.db.migrate import upgrade
from service.db.session import DATABASE_AWAY, SqliteWriter, make_engine, make_session_factory
from service.db.uow import UnitOfWork

ROOT = Path(__file__).parents[2]

# Another process writes in a unit of work and holds it until told to end (a line on stdin).
HOLDER = textwrap.dedent(
    """
    import sys
    from sqlalchemy import text
    from service.db.session import make_engine, make_session_factory
    from service.db.uow import UnitOfWork

    factory = make_session_factory(make_engine(sys.argv[1]))
    with UnitOfWork(factory) as uow:
        uow.session.execute(text("UPDATE agency SET name = name WHERE id = 1"))
        print("holding", flush=True)
        sys.stdin.readline()
        uow.commit()
    print("done", flush=True)
    """
)


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'turns.sqlite3'}"
    upgrade(url)
    return url


def test_a_writer_of_another_process_waits_for_the_turn_and_then_writes(database: str) -> None:
    with subprocess.Popen(  # noqa: S603  # our interpreter, fixed code
        [sys.executable, "-c", HOLDER, database],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        try:
            assert holder.stdout is not None and holder.stdin is not None
            assert holder.stdout.readline().strip() == "holding"
            engine = make_engine(database)
            turn = SqliteWriter(engine.url.database)
            with pytest.raises(DATABASE_AWAY, match="database is locked"):  # a 503, not a hang
                turn.acquire(within=0.2)
            holder.stdin.write("\n")
            holder.stdin.flush()
            assert holder.stdout.readline().strip() == "done"
            factory = make_session_factory(engine)
            with UnitOfWork(factory) as uow:  # the turn came back: no "database is locked"
                uow.session.execute(text("UPDATE agency SET name = name WHERE id = 1"))
                uow.commit()
            engine.dispose()
        finally:
            holder.kill()


def test_the_turn_is_held_to_the_outermost_release_of_its_thread(tmp_path: Path) -> None:
    """Re-entrant within a thread; another holder (its own open file, as another process
    has) gets the turn only when the outermost release lets it go."""
    database = str(tmp_path / "nested.sqlite3")
    mine, other = SqliteWriter(database), SqliteWriter(database)
    mine.acquire()
    mine.acquire()  # a writing unit inside another, in the same thread
    mine.release()
    with pytest.raises(DATABASE_AWAY):
        other.acquire(within=0.05)
    mine.release()
    other.acquire(within=0.05)
    other.release()

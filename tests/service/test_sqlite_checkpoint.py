"""SQLite's write-ahead log is copied into the database by the background loops, not by the
request that happens to commit when the log passes SQLite's default of 1000 pages (that copy
and its sync were the 10–20 ms tail of the completions). A request's commit leaves the log;
`checkpoint_wal`, which the render worker and the scheduler run at each pass, copies it all,
and the next writer starts the log afresh."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from service.db.session import checkpoint_wal, make_engine

ROWS, ROW_BYTES = 30, 200_000  # about 1,500 pages of log: past SQLite's default of 1000


def _log_frames(engine: Engine) -> int:
    """The frames in the log, as a checkpoint that copies nothing more reports them."""
    with engine.connect() as connection:
        _busy, frames, _copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    return int(frames)


def test_commits_leave_the_log_and_the_background_checkpoint_copies_it(tmp_path: Path) -> None:
    database = tmp_path / "log.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE filler (data BLOB)")
    for _ in range(ROWS):
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO filler VALUES (randomblob(?))", (ROW_BYTES,))
    # no commit copied the log back: it holds every row (with SQLite's default it would have
    # been copied and restarted at 1000 pages, and never grown past about 4 MB)
    assert (tmp_path / "log.sqlite3-wal").stat().st_size > ROWS * ROW_BYTES

    checkpoint_wal(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO filler VALUES (x'00')")
    assert _log_frames(engine) < 10  # the next writer started the log afresh
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM filler").scalar() == ROWS + 1
    engine.dispose()


def test_a_checkpoint_on_postgresql_does_nothing() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    checkpoint_wal(engine)  # no connection is made: there is no server at that address
    assert engine.pool.checkedout() == 0
    engine.dispose()

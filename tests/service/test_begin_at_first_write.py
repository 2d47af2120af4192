"""A writing unit in autocommit (service.db.uow) on PostgreSQL: its reads go without a
transaction, and its first write begins one (service.db.session), unless it is the batch the
unit commits with, which is then a transaction of its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from service.db import batch as batch_module
from service.db.batch import Batch
from service.db.session import BEGIN_AT_FIRST_WRITE, make_engine

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

_METADATA = MetaData()
_ROWS = Table("first_write_row", _METADATA, Column("id", Integer, primary_key=True))
_WRITTEN = insert(_ROWS).values(id=1).returning(_ROWS.c.id).cte("written")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    _METADATA.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT", **{BEGIN_AT_FIRST_WRITE: True})
        yield connection


def _state(connection: Connection) -> Any:
    driver: Any = connection.connection.driver_connection
    return driver.info.transaction_status


def _rows(engine: Engine) -> list[int]:
    with engine.connect() as other:  # what another connection sees: what was committed
        return list(other.scalars(select(_ROWS.c.id).order_by(_ROWS.c.id)))


def test_reads_open_no_transaction(connection: Connection) -> None:
    connection.execute(select(_ROWS))
    assert _state(connection) == TransactionStatus.IDLE


@pytest.mark.parametrize(
    "write",
    [
        insert(_ROWS).values(id=1),
        update(_ROWS).values(id=_ROWS.c.id),
        select(_ROWS).with_for_update(),  # its row locks must hold until the commit
        select(_WRITTEN.c.id),  # a SELECT of what its WITH writes
    ],
    ids=["insert", "update", "select for update", "select of a write"],
)
def test_a_write_begins_the_transaction_before_it(
    engine: Engine, connection: Connection, write: Any
) -> None:
    connection.execute(write)
    assert _state(connection) == TransactionStatus.INTRANS
    connection.rollback()
    assert _rows(engine) == []


def test_a_batch_begins_unless_it_is_the_units_last_write(
    engine: Engine, connection: Connection
) -> None:
    first = Batch()
    first.add(insert(_ROWS), {"id": 1})
    first.send(connection, last=True)  # alone: committed by itself
    assert _state(connection) == TransactionStatus.IDLE
    assert _rows(engine) == [1]
    second = Batch()
    second.add(insert(_ROWS), {"id": 2})
    second.send(connection)  # more may follow: in a transaction, which a rollback undoes
    assert _state(connection) == TransactionStatus.INTRANS
    connection.rollback()
    assert _rows(engine) == [1]


def test_after_a_write_began_it_the_last_batch_commits_with_its_transaction(
    engine: Engine, connection: Connection
) -> None:
    connection.execute(insert(_ROWS).values(id=1))
    assert _rows(engine) == []  # begun, not committed
    last = Batch()
    last.add(insert(_ROWS), {"id": 2})
    last.send(connection, commits=True)  # the unit commits as it sends it: COMMIT goes with it
    assert _state(connection) == TransactionStatus.IDLE
    assert _rows(engine) == [1, 2]
    connection.commit()  # the unit's own commit then finds nothing to do
    assert _rows(engine) == [1, 2]


def test_a_last_batch_sent_without_committing_leaves_its_transaction_open(
    engine: Engine, connection: Connection
) -> None:
    connection.execute(insert(_ROWS).values(id=1))
    last = Batch()
    last.add(insert(_ROWS), {"id": 2})
    last.send(connection, last=True)  # the unit's last write, before it decides to commit
    assert _state(connection) == TransactionStatus.INTRANS
    connection.rollback()
    assert _rows(engine) == []


def test_a_last_batch_that_fails_commits_nothing_of_its_transaction(
    engine: Engine, connection: Connection
) -> None:
    connection.execute(insert(_ROWS).values(id=1))
    last = Batch()
    last.add(insert(_ROWS), {"id": 2})
    gone = update(_ROWS).where(_ROWS.c.id == bindparam("gone")).values(id=_ROWS.c.id)
    last.add(gone, {"gone": 9}, expect=1, conflict=lambda: LookupError("no row 9"))
    with pytest.raises(LookupError):
        last.send(connection, commits=True)
    assert _state(connection) == TransactionStatus.INERROR  # the COMMIT behind it never ran
    connection.rollback()
    assert _rows(engine) == []


def test_a_write_that_fails_in_the_round_trip_of_its_begin_leaves_the_transaction_failed(
    engine: Engine, connection: Connection
) -> None:
    with engine.begin() as other:
        other.execute(insert(_ROWS).values(id=1))
    with pytest.raises(IntegrityError):
        connection.execute(insert(_ROWS).values(id=1))  # its BEGIN ran, then it was refused
    assert _state(connection) == TransactionStatus.INERROR
    connection.rollback()
    assert _state(connection) == TransactionStatus.IDLE
    assert _rows(engine) == [1]


def test_a_batch_too_large_for_one_statement_goes_write_by_write_in_a_transaction(
    engine: Engine, connection: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_module, "MAX_PARAMETERS", 2)  # PostgreSQL's bound, made small
    last = Batch()
    last.add(insert(_ROWS), [{"id": 1}, {"id": 2}, {"id": 3}])
    last.send(connection, last=True)
    assert _state(connection) == TransactionStatus.INTRANS  # began: it applies as a whole
    assert _rows(engine) == []
    connection.commit()
    assert _rows(engine) == [1, 2, 3]

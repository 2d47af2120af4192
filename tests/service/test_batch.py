"""A batch of writes (service.db.batch): on PostgreSQL one statement, elsewhere one per write;
either way each write's rows and row count as if it had been sent alone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine.default import CACHE_HIT, CACHE_MISS

from service.db.batch import Batch
from service.errors import Conflict

_METADATA = MetaData()
_ITEMS = Table(
    "batch_item",
    _METADATA,
    Column("id", Integer, primary_key=True),
    Column("state", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
)
# prebuilt, as a batch's writes are
_NEW_ITEM = insert(_ITEMS)
_WRITE_ITEM = update(_ITEMS).where(
    _ITEMS.c.id == bindparam("item"), _ITEMS.c.version == bindparam("seen")
)
_DROP = delete(_ITEMS).where(_ITEMS.c.state == bindparam("dropped"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    _METADATA.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            _NEW_ITEM,
            [
                {"state": "open", "version": 1, "data": {}},  # ids 1, 2, 3
                {"state": "old", "version": 1, "data": {}},
                {"state": "kept", "version": 1, "data": {}},
            ],
        )
    yield engine
    engine.dispose()


def _sent(engine: Engine, batch: Batch) -> int:
    """Send `batch` in a transaction; how many statements went to the database."""
    statements: list[str] = []

    def count(*_: Any) -> None:
        statements.append("")

    event.listen(engine, "before_cursor_execute", count)
    try:
        with engine.begin() as connection:
            batch.send(connection)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def _conflict() -> Conflict:
    return Conflict("moved", "It changed meanwhile.")


def _batch(state: str, seen: int) -> Batch:
    batch = Batch()
    batch.add(
        _NEW_ITEM,
        [
            {"state": f"{state}-1", "version": 1, "data": {"n": 1}},
            {"state": f"{state}-2", "version": 1, "data": {}},
        ],
    )
    batch.add(
        _WRITE_ITEM,
        {"state": state, "version": seen + 1, "data": {"by": state}, "item": 1, "seen": seen},
        expect=1,
        conflict=_conflict,
    )
    batch.add(_DROP, {"dropped": "old"})
    return batch


def _items(engine: Engine) -> list[tuple[int, str, int, Any]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(_ITEMS).order_by(_ITEMS.c.id))]


def test_a_batch_writes_each_of_its_rows_in_one_statement_on_postgresql(engine: Engine) -> None:
    sent = _sent(engine, _batch("done", seen=1))
    assert sent == (1 if engine.dialect.name == "postgresql" else 3)
    # one parameter name in three writes ("state", "version", "data"), each its own value
    assert _items(engine) == [
        (1, "done", 2, {"by": "done"}),
        (3, "kept", 1, {}),
        (4, "done-1", 1, {"n": 1}),
        (5, "done-2", 1, {}),
    ]


def test_a_batch_of_the_same_shape_again_writes_its_own_values(engine: Engine) -> None:
    _sent(engine, _batch("first", seen=1))
    _sent(engine, _batch("second", seen=2))  # built once, sent twice
    assert [(i, state, version) for i, state, version, _ in _items(engine)] == [
        (1, "second", 3),
        (3, "kept", 1),
        (4, "first-1", 1),
        (5, "first-2", 1),
        (6, "second-1", 1),
        (7, "second-2", 1),
    ]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_batch_of_a_shape_seen_before_is_not_compiled_again(engine: Engine) -> None:
    """Its statement has a cache key, several rows of one INSERT included: SQLAlchemy caches
    no multi-row VALUES, and compiling a signing's batch anew cost more than sending it."""
    seen: list[Any] = []

    def look(_conn: Any, _cursor: Any, _sql: Any, _params: Any, context: Any, _many: Any) -> None:
        seen.append(context.cache_hit)

    event.listen(engine, "before_cursor_execute", look)
    try:
        for state, version in (("first", 1), ("second", 2)):
            with engine.begin() as connection:
                _batch(state, seen=version).send(connection)
    finally:
        event.remove(engine, "before_cursor_execute", look)
    assert seen == [CACHE_MISS, CACHE_HIT]


def test_an_update_named_through_and_through_writes_each_of_its_rows(engine: Engine) -> None:
    """Several rows of an UPDATE whose values are all named parameters, as the units' chain
    heads are written: each row its own write, its own values."""
    renamed = update(_ITEMS).where(_ITEMS.c.id == bindparam("item")).values(state=bindparam("to"))
    batch = Batch()
    batch.add(renamed, [{"item": 1, "to": "one"}, {"item": 3, "to": "three"}])
    assert _sent(engine, batch) == 1  # on SQLite, one executemany
    assert [state for _, state, _, _ in _items(engine)] == ["one", "old", "three"]


def test_a_write_that_matches_no_row_raises_its_conflict_and_nothing_is_kept(
    engine: Engine,
) -> None:
    with pytest.raises(Conflict) as moved:
        _sent(engine, _batch("late", seen=7))  # the item is at version 1
    assert moved.value.code == "moved"
    assert [state for _, state, _, _ in _items(engine)] == ["open", "old", "kept"]


def test_an_empty_batch_sends_nothing_and_a_lone_write_goes_as_it_is(engine: Engine) -> None:
    batch = Batch()
    batch.add(_NEW_ITEM, [])
    assert _sent(engine, batch) == 0
    batch.add(_DROP, {"dropped": "kept"})
    assert _sent(engine, batch) == 1
    assert [state for _, state, _, _ in _items(engine)] == ["open", "old"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_batch_sent_alone_in_autocommit_applies_nothing_when_a_write_mismatches(
    engine: Engine,
) -> None:
    """Sent as a unit's last write, with no transaction around it (service.db.uow), the
    batch's own statement must fail as a whole: its row counts are checked in the database,
    not after it committed."""
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        with pytest.raises(Conflict) as moved:
            _batch("late", seen=7).send(connection, last=True)  # the item is at version 1
        assert moved.value.code == "moved"
        _batch("fine", seen=1).send(connection, last=True)
    # no transaction to roll back: the first batch's INSERTs and DELETE were never applied
    assert [state for _, state, _, _ in _items(engine)] == ["fine", "kept", "fine-1", "fine-2"]

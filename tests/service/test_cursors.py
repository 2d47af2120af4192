"""The service's PostgreSQL cursor (service.db.cursors): results read as before, their columns
described only when something reads them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, bindparam, literal, select, text

from service.db.cursors import DescribedWhenRead
from service.db.session import make_engine

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    with engine.connect():  # SQLAlchemy's first look at the server, described as always
        pass
    yield engine
    engine.dispose()


@pytest.fixture
def described(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the columns psycopg describes from now on."""
    names: list[str] = []
    build = psycopg.Column.__init__

    def counted(column: Any, cursor: Any, index: int) -> None:
        build(column, cursor, index)
        names.append(column.name)

    monkeypatch.setattr(psycopg.Column, "__init__", counted)
    return names


def test_a_statement_seen_before_reads_its_rows_without_describing_them(
    engine: Engine, described: list[str]
) -> None:
    statement = select(literal(1).label("one"), bindparam("two").label("two"))
    with engine.connect() as connection:
        assert connection.execute(statement, {"two": "b"}).all() == [(1, "b")]
        described.clear()  # the first time, SQLAlchemy read the columns to learn the shape
        rows = connection.execute(statement, {"two": "c"}).mappings().all()
    assert rows == [{"one": 1, "two": "c"}]
    assert described == []


def test_text_sql_still_names_its_columns(engine: Engine, described: list[str]) -> None:
    with engine.connect() as connection:
        result = connection.execute(text("SELECT 1 AS one, 'x' AS letter"))
        assert list(result.keys()) == ["one", "letter"]
        assert result.one() == (1, "x")
    assert described == ["one", "letter"]


def test_the_description_is_psycopgs_when_read(engine: Engine) -> None:
    with engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        cursor = driver.cursor()
        assert isinstance(cursor, DescribedWhenRead)
        cursor.execute("SELECT 1 AS one, 'x'::text AS letter")
        description = cursor.description
        assert len(description) == 2
        assert [(c.name, c.type_code) for c in description] == [("one", 23), ("letter", 25)]
        assert description[1].name == "letter"
        cursor.execute("CREATE TEMPORARY TABLE nothing_returned (id int)")
        assert cursor.description is None  # no rows: as psycopg's


def test_columns_read_after_the_cursor_moved_on_are_refused(engine: Engine) -> None:
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("SELECT 1 AS one")
        description = cursor.description
        cursor.execute("SELECT 2 AS two")
        with pytest.raises(RuntimeError, match="moved on"):
            list(description)

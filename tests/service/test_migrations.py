"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from service.db.base import Base

_LZ4 = importlib.import_module("service.db.migrations.versions.0031_lz4_compression")
COLUMNS = _LZ4.COLUMNS
LZ4_AVAILABLE = _LZ4.LZ4_AVAILABLE


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_large_values_a_completion_writes_are_compressed_with_lz4(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        if not conn.scalar(text(LZ4_AVAILABLE)):
            pytest.skip("this PostgreSQL was built without lz4: it keeps pglz")
        methods = {
            (table, column): method
            for table, column, method in conn.execute(
                text(
                    "SELECT attrelid::regclass::text, attname, attcompression FROM pg_attribute"
                    " WHERE attrelid::regclass::text = ANY(:tables) AND attnum > 0"
                ),
                {"tables": list(COLUMNS)},
            )
        }
        # a value past TOAST's threshold, written and read back as it was
        conn.execute(text("CREATE TEMPORARY TABLE squeezed (v text COMPRESSION lz4)"))
        value = "".join(f"{n:05d}" for n in range(4000))
        conn.execute(text("INSERT INTO squeezed VALUES (:v)"), {"v": value})
        compressed = conn.scalar(text("SELECT pg_column_compression(v) FROM squeezed"))
        assert conn.scalar(text("SELECT v FROM squeezed")) == value
    engine.dispose()
    assert compressed == "lz4"
    expected = {(t, c) for t, cs in COLUMNS.items() for c in cs}
    assert {key for key, method in methods.items() if method == "l"} == expected

"""psycopg's cursor for the service's PostgreSQL connections: it describes a result's columns
only when something reads the description.

psycopg builds a `Column` for every column of a result (its name decoded, its type looked up)
each time `description` is read, and SQLAlchemy reads it after every statement. It uses the
columns only for a statement whose result it has not described before (text SQL, a statement
seen for the first time); for the others it holds their shape from the compiled statement.
A task's view has 54 columns: describing them cost this process about 50 µs of its 270 µs for
the statement, a cost SQLite's driver does not have (measured in benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg import pq

_ROWS = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.SINGLE_TUPLE, pq.ExecStatus.TUPLES_CHUNK)


class DescribedWhenRead(psycopg.Cursor[Any]):
    """A cursor whose `description` is None, as psycopg's, where its result has no rows, and
    otherwise a sequence that builds psycopg's columns at its first read."""

    @property
    def description(self) -> Sequence[psycopg.Column] | None:  # type: ignore[override]
        result = self.pgresult
        if result is None or not (result.nfields or result.status in _ROWS):
            return None
        return _Columns(self, result)


class _Columns(Sequence[psycopg.Column]):
    """The columns of `result`, built by psycopg when first read: while `result` is still the
    cursor's (SQLAlchemy reads them right after the statement, if ever)."""

    __slots__ = ("_built", "_cursor", "_result")

    def __init__(self, cursor: DescribedWhenRead, result: pq.abc.PGresult) -> None:
        self._cursor, self._result = cursor, result
        self._built: list[psycopg.Column] | None = None

    def _columns(self) -> list[psycopg.Column]:
        if self._built is None:
            if self._cursor.pgresult is not self._result:
                raise RuntimeError("the columns of a result read after its cursor moved on")
            self._built = psycopg.Cursor.description.fget(self._cursor)  # type: ignore[attr-defined]
        assert self._built is not None
        return self._built

    def __len__(self) -> int:
        return int(self._result.nfields)

    @overload
    def __getitem__(self, index: int) -> psycopg.Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[psycopg.Column]: ...

    def __getitem__(self, index: int | slice) -> psycopg.Column | list[psycopg.Column]:
        return self._columns()[index]

    def __iter__(self) -> Iterator[psycopg.Column]:
        return iter(self._columns())

    def __eq__(self, other: object) -> bool:
        return self._columns() == other

    def __repr__(self) -> str:
        return repr(self._columns())

"""Writes sent together: the rows a completion writes once its engine has run.

On PostgreSQL every statement is a round trip, which costs more than most statements do; a
batch sends its writes as one statement, each one a data-modifying WITH query whose rows it
counts, so each write's row count is checked as if it had been sent alone. The statement
applies or fails as a whole: a write that matches other than the rows it expects fails it in
the database, so that sent alone, a transaction of its own (service.db.uow), it applies
nothing. SQLite is in process: there, the writes run one by one, in the order added, and so
they do on PostgreSQL for a batch of more than MAX_PARAMETERS values.

The writes are prebuilt statements (module constants, so that each shape of batch is built
once): an INSERT, an UPDATE or a DELETE whose WHERE names its parameters by `bindparam`, and
whose other parameters are the columns to write, as `Connection.execute` takes them, every
one of them (a batch applies no column's Python-side default). On
PostgreSQL the writes of one statement all see the rows as they were before it, so no two
writes of a batch may touch the same row (only one would apply), nor one read another's
row; writes in a batch are independent, as a completion's are. A row may reference one
inserted before it in the batch (a render job its document): foreign keys are checked at the
end of the statement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Integer,
    Select,
    Text,
    bindparam,
    case,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import DataError
from sqlalchemy.sql.dml import Delete, Insert, Update, ValuesBase
from sqlalchemy.sql.visitors import iterate, replacement_traverse

Write = Insert | Update | Delete

# what a write that matched other rows than expected fails its batch's statement with
_MISMATCH = "batch_write_mismatch:"
# the execution option a batch's statement carries: a connection that begins its transaction
# at the first write (service.db.session) reads a batch as one, unless it is the unit's last
AS_BATCH = "batch"
# and the execution option of the batch its unit commits with (UnitOfWork.commit): once the
# transaction has begun, its COMMIT goes with the batch, in the same round trip
COMMITS = "commits"
# PostgreSQL takes at most 65,535 parameters in a statement; a batch with more values (a plan
# issued inline to thousands of units) sends its writes one by one, in its transaction
MAX_PARAMETERS = 30_000


@dataclass(frozen=True, slots=True)
class _Part:
    statement: Write
    rows: Sequence[dict[str, Any]]
    expect: int | None
    conflict: Callable[[], Exception] | None


class Batch:
    """Writes to send at once (`send`), in one transaction's connection."""

    __slots__ = ("_parts",)

    def __init__(self) -> None:
        self._parts: list[_Part] = []

    def add(
        self,
        statement: Write,
        rows: dict[str, Any] | Sequence[dict[str, Any]],
        *,
        expect: int | None = None,
        conflict: Callable[[], Exception] | None = None,
    ) -> None:
        """Write `rows` with `statement`: one set of parameters, or several, each a write of
        its own. When it matches other than `expect` rows, `send` raises `conflict()`."""
        many = rows if isinstance(rows, Sequence) else [rows]
        if many:
            self._parts.append(_Part(statement, many, expect, conflict))

    def send(self, connection: Connection, *, last: bool = False, commits: bool = False) -> None:
        """Send the writes, then forget them. `last`: the unit's last write, which may then go
        alone, without BEGIN or COMMIT. `commits`: the last, sent as the unit commits
        (UnitOfWork.commit), with the COMMIT once its transaction has begun
        (service.db.session).

        :raise: the `conflict()` of the first write whose row count is not the one expected.
        """
        parts, self._parts = self._parts, []
        if not parts:
            return
        if connection.dialect.name != "postgresql" or _values(parts) > MAX_PARAMETERS:
            for part in parts:
                result = connection.execute(part.statement, list(part.rows))
                _check(part, result.rowcount)
            return
        shape = tuple(
            (part.statement, tuple(tuple(row) for row in part.rows), part.expect) for part in parts
        )
        params = {
            f"w{n}_{r}_{key}": value
            for n, part in enumerate(parts)
            for r, row in enumerate(part.rows)
            for key, value in row.items()
        }
        options = {AS_BATCH: "last" if last or commits else "write", COMMITS: commits}
        try:
            counts = connection.execute(_combined(shape), params, execution_options=options).one()
        except DataError as err:
            failed = str(err.orig).partition(_MISMATCH)[2].partition('"')[0]
            if not failed.isdigit():
                raise
            raise _refused(parts[int(failed)]) from err
        for part, count in zip(parts, counts, strict=True):
            _check(part, count)


def _values(parts: list[_Part]) -> int:
    return sum(len(row) for part in parts for row in part.rows)


def _check(part: _Part, count: int) -> None:
    if part.expect is not None and count != part.expect:
        raise _refused(part)


def _refused(part: _Part) -> Exception:
    """The conflict of a write whose row count was not the one it expects."""
    assert part.conflict is not None, "a write that expects a row count names its conflict"
    return part.conflict()


@lru_cache(maxsize=128)
def _combined(
    shape: tuple[tuple[Write, tuple[tuple[str, ...], ...], int | None], ...],
) -> Select[Any]:
    """One SELECT of each write's row count, its rows sent as data-modifying WITH queries: an
    INSERT of rows alike as one (one INSERT … SELECT), any other write one per row. Parameter
    `key` of row r of write n is named `w{n}_{r}_{key}` (a write's statement, its rows' keys
    and the count it expects are the shape: built once, then cached by SQLAlchemy as any
    statement)."""
    counts = []
    for n, (statement, rows, expect) in enumerate(shape):
        if _alike_inserts(statement, rows):
            written = [_inserted(cast(Insert, statement), f"w{n}_", rows).cte(f"w{n}")]
        else:
            written = [
                _renamed(statement, f"w{n}_{r}_", keys).cte(f"w{n}_{r}")
                for r, keys in enumerate(rows)
            ]
        per_query = [select(func.count()).select_from(w).scalar_subquery() for w in written]
        count = sum(per_query[1:], per_query[0])
        counts.append(count if expect is None else _asserted(count, expect, n))
    return select(*counts)


def _alike_inserts(statement: Write, rows: tuple[tuple[str, ...], ...]) -> bool:
    """Whether `rows` are several rows of one plain INSERT, each of the same columns."""
    return (
        isinstance(statement, Insert)
        and len(rows) > 1
        and len(set(rows)) == 1
        and not any(isinstance(b, BindParameter) for b in iterate(statement))
    )


def _inserted(statement: Insert, prefix: str, rows: tuple[tuple[str, ...], ...]) -> Insert:
    """`statement` inserting `rows` from one SELECT of each row's values (UNION ALL), row r's
    `key` bound to `prefix + f"{r}_{key}"`, returning a 1 per row written. Not a multi-row
    VALUES: SQLAlchemy caches no statement holding one, so each would be compiled anew."""
    columns = statement.table.c
    keys = rows[0]
    selects = [
        select(*(bindparam(f"{prefix}{r}_{key}", type_=columns[key].type) for key in keys))
        for r in range(len(rows))
    ]
    return statement.from_select(list(keys), union_all(*selects)).returning(literal_column("1"))


def _asserted(count: ColumnElement[Any], expect: int, n: int) -> ColumnElement[Any]:
    """`count`, or an error that fails the statement when it is not `expect`: PostgreSQL has
    no assertion, but casting to a number a text that is none raises, and only at run time
    here (the CASE depends on the rows written, so the planner cannot fold it)."""
    text = case((count == expect, sql_cast(count, Text)), else_=literal(f"{_MISMATCH}{n}"))
    return sql_cast(text, Integer)


def _renamed(statement: Write, prefix: str, keys: tuple[str, ...]) -> Write:
    """`statement` writing one row, its parameters named `prefix + key`, returning a 1 per row
    written: the WHERE's own parameters renamed, the columns to write bound to new ones."""
    named = {b.key for b in iterate(statement) if isinstance(b, BindParameter) and not b.unique}

    def rename(element: Any, **_: Any) -> Any:
        if isinstance(element, BindParameter) and element.key in named:
            return bindparam(prefix + element.key, type_=element.type)
        return None

    renamed = cast(Write, replacement_traverse(cast(Any, statement), {}, rename))
    written = [key for key in keys if key not in named]
    if isinstance(renamed, ValuesBase) and written:  # not when its values are all named
        columns = renamed.table.c
        renamed = renamed.values({k: bindparam(prefix + k, type_=columns[k].type) for k in written})
    return renamed.returning(literal_column("1"))

"""SQL functions the two databases spell differently."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Date


class vietnam_day(FunctionElement[date]):  # noqa: N801  # reads as the SQL function it is
    """The calendar day in Vietnam (UTC+7, no daylight saving) of a stored UTC instant, so
    that figures per day can be grouped in the database."""

    type = Date()
    inherit_cache = True
    name = "vietnam_day"


@compiles(vietnam_day, "postgresql")
def _postgresql(element: vietnam_day, compiler: Any, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"CAST(({moment} AT TIME ZONE 'UTC') + INTERVAL '7 hours' AS DATE)"


@compiles(vietnam_day, "sqlite")
def _sqlite(element: vietnam_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"

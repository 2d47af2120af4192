"""A plan of one year written for another: its dates moved, its anniversaries counted again,
its year replaced. The demo writes its seeds for the year it plays; "copy last year's plan"
(service.operations.processes) starts a new plan from the previous one.

The anniversaries a plan celebrates, by the year they count from: the People's Public Security
(Công an nhân dân) was founded on 19/8/1945, the day of the August Revolution (Cách mạng Tháng
8), before National Day 2/9/1945; the festival day "Ngày hội toàn dân bảo vệ ANTQ" is held on
19/8 each year since 2005 (Quyết định 521/QĐ-TTg of 13/6/2005).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

FOUNDED = 1945
FESTIVAL_SINCE = 2005
_SINCE_FOUNDED = re.compile(
    r"\d+(?= năm (?:của Công an nhân dân|Ngày truyền thống Công an nhân dân|Cách mạng Tháng 8))"
)
_SINCE_FESTIVAL = re.compile(r"\d+(?= năm Ngày hội toàn dân)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def anniversaries(year: int) -> tuple[int, int]:
    """Years of the Công an nhân dân (and of the August Revolution), and of the Ngày hội, as
    counted on 19 August of `year`: (78, 18) in 2023."""
    return year - FOUNDED, year - FESTIVAL_SINCE


def plan_text_for(text: str, source_year: int, year: int) -> str:
    """A plan of `source_year` written for `year`: its anniversaries counted again, then its
    year replaced ("78 năm ... Công an nhân dân", "18 năm Ngày hội" are not years), but not
    inside a cited document's number ("Thông tư 40/2023/TT-BTC" stays as it was issued)."""
    founded, festival = anniversaries(year)
    text = _SINCE_FOUNDED.sub(str(founded), text)
    text = _SINCE_FESTIVAL.sub(str(festival), text)
    return re.sub(rf"(?<!\d){source_year}(?![\d/])", str(year), text)


def moved_date(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def plan_for_year(plan: dict[str, Any], year: int) -> dict[str, Any]:
    """The plan (its JSON form, with its `year`) written for `year`: each date moved by as
    many years, each text as `plan_text_for` writes it; figures and codes are kept."""
    source = int(plan["year"])

    def moved(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [moved(v) for v in value]
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            return moved_date(date.fromisoformat(value), year - source).isoformat()
        if isinstance(value, str):
            return plan_text_for(value, source, year)
        return value

    return {**moved(plan), "year": year}

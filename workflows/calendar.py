"""Working days on the Vietnamese calendar, and when a dated deadline falls due.

Public holidays (Tết included, with observed days) come from the `holidays` package; the
Government's swaps of a weekday off for a Saturday worked (ngày làm bù) are the table
`MAKE_UP_DAYS` below. Official deadlines are written "trước ngày 20/8/2023": due at the start of
that day, Vietnam time, so the last day to act is the day before (`last_day`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

import holidays

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time in Vietnam

# Ngày làm bù: a weekend day worked in exchange for a weekday off, for civil servants and public
# employees (the public sector the service runs in), as the Government announced them. Each
# entry: the weekend day worked -> the weekday off in its place. The weekday off is treated as
# a holiday here even where the `holidays` package already has it.
MAKE_UP_DAYS: dict[date, date] = {
    # Công văn 2450/VPCP-KGVX (Văn phòng Chính phủ, 04/2024): off Monday 29/4/2024, worked
    # Saturday 4/5/2024.
    date(2024, 5, 4): date(2024, 4, 29),
    # Thông báo 6150/TB-LĐTBXH (Bộ Lao động - Thương binh và Xã hội, 11/2024, lịch nghỉ lễ năm
    # 2025): off Friday 2/5/2025, worked Saturday 26/4/2025.
    date(2025, 4, 26): date(2025, 5, 2),
}
_DAYS_OFF_IN_EXCHANGE = frozenset(MAKE_UP_DAYS.values())


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    swapped = {day for day in _DAYS_OFF_IN_EXCHANGE if day.year == year}
    return frozenset(holidays.country_holidays("VN", years=year)) | swapped


def is_working_day(day: date) -> bool:
    """Monday to Friday except public holidays and days off in exchange; a make-up Saturday
    works."""
    if day in MAKE_UP_DAYS:
        return True
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The day `days` working days after `start` (before it when negative); 0 is `start`."""
    step = 1 if days >= 0 else -1
    day, left = start, abs(days)
    while left:
        day += timedelta(days=step)
        if is_working_day(day):
            left -= 1
    return day


@lru_cache(maxsize=64)
def _working_days_before(year: int) -> tuple[int, ...]:
    """For each day of `year` (by ordinal within the year), how many of its days before it work."""
    counts, day, seen = [], date(year, 1, 1), 0
    while day.year == year:
        counts.append(seen)
        seen += is_working_day(day)
        day += timedelta(days=1)
    return (*counts, seen)


@lru_cache(maxsize=64)
def _working_days_before_year(year: int) -> int:
    return sum(_working_days_before(y)[-1] for y in range(2000, year))


def _working_ordinal(day: date) -> int:
    """Working days from 1/1/2000 to `day` (excluded): differences give durations in O(1)."""
    return (
        _working_days_before_year(day.year)
        + _working_days_before(day.year)[day.timetuple().tm_yday - 1]
    )


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`: 0 the same day, 1 from Friday to
    Monday. How long a task waited, in the unit deadlines are set in."""
    return _working_ordinal(end + timedelta(days=1)) - _working_ordinal(start + timedelta(days=1))


def due_before(day: date) -> datetime:
    """The instant a deadline "before `day`" falls due: 00:00 of that day in Vietnam."""
    return datetime.combine(day, time(0), VIETNAM)


def local_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def last_day(due_at: datetime) -> date:
    """The last day to act on what falls due at `due_at`: the day before a deadline "before
    `day`" (due at its first instant), Vietnam time."""
    return local_day(due_at - timedelta(microseconds=1))


def due_after_working_days(created: datetime, days: int) -> datetime:
    """A deadline of `days` working days from `created`: the end of the last of them."""
    return due_before(add_working_days(local_day(created), days) + timedelta(days=1))

"""Working days follow Vietnam's public holidays, Tết included."""

from __future__ import annotations

from datetime import UTC, date, datetime

import holidays

from workflows.calendar import (
    MAKE_UP_DAYS,
    add_working_days,
    due_after_working_days,
    due_before,
    is_working_day,
    last_day,
    working_days_between,
)


def test_tet_2023_and_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2023, 1, 23))  # second day of Tết Quý Mão
    assert not is_working_day(date(2023, 1, 21))  # Saturday and Tết eve
    assert is_working_day(date(2023, 1, 27))  # first working day after Tết


def test_adding_working_days_skips_tet() -> None:
    # Thursday 19/1/2023 + 1 working day: 20–26/1 are Tết or weekend, so Friday 27/1
    assert add_working_days(date(2023, 1, 19), 1) == date(2023, 1, 27)
    assert add_working_days(date(2023, 1, 27), -1) == date(2023, 1, 19)
    assert add_working_days(date(2023, 5, 4), 0) == date(2023, 5, 4)


def test_reunification_and_labour_days_2023() -> None:
    # Friday 28/4/2023 + 1: 29/4–3/5 are holidays or observed, so Thursday 4/5
    assert add_working_days(date(2023, 4, 28), 1) == date(2023, 5, 4)


def test_a_dated_deadline_falls_due_at_midnight_vietnam_time() -> None:
    assert due_before(date(2023, 8, 20)) == datetime(2023, 8, 19, 17, 0, tzinfo=UTC)


def test_working_day_deadline_ends_with_the_last_day() -> None:
    created = datetime(2023, 7, 13, 3, 0, tzinfo=UTC)  # Thursday 10:00 in Hà Nội
    assert due_after_working_days(created, 2) == due_before(date(2023, 7, 18))


def test_make_up_saturday_2025_works_and_the_friday_it_buys_is_off() -> None:
    assert is_working_day(date(2025, 4, 26))  # Saturday worked in exchange for Friday 2/5
    assert not is_working_day(date(2025, 5, 2))
    assert not is_working_day(date(2025, 4, 27))  # the Sunday after stays off
    # Friday 25/4 + 1 working day is the make-up Saturday; Tuesday 29/4 + 1 skips 30/4–4/5
    assert add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)
    # Thursday 24/4 to Tuesday 29/4: 25/4, 26/4 (make-up), 28/4, 29/4
    assert working_days_between(date(2025, 4, 24), date(2025, 4, 29)) == 4


def test_make_up_saturday_2024() -> None:
    assert is_working_day(date(2024, 5, 4))
    assert not is_working_day(date(2024, 4, 29))  # Monday off in exchange
    assert working_days_between(date(2024, 5, 1), date(2024, 5, 6)) == 4  # 2, 3, 4 and 6/5


def test_every_make_up_day_is_a_weekend_day_for_a_weekday_off_in_the_holidays_data() -> None:
    for worked, off in MAKE_UP_DAYS.items():
        assert worked.weekday() >= 5 and off.weekday() < 5
        assert off in holidays.country_holidays("VN", years=off.year)
        assert worked in holidays.country_holidays("VN", years=worked.year).weekend_workdays


def test_the_last_day_to_act_is_the_day_before_the_dated_deadline() -> None:
    assert last_day(due_before(date(2026, 12, 5))) == date(2026, 12, 4)
    assert last_day(due_after_working_days(datetime(2023, 7, 13, 3, tzinfo=UTC), 2)) == date(
        2023, 7, 17
    )

"""Working days follow Vietnam's public holidays, Tết included."""

from __future__ import annotations

from datetime import UTC, date, datetime

from workflows.calendar import add_working_days, due_after_working_days, due_before, is_working_day


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

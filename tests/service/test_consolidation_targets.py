"""The plan's targets at their edges (seed 004): "từ 80% trở lên" rated safe is met at exactly
80%, "trên 80%" of the movement rated Khá or better is missed at exactly 80%. No database."""

from __future__ import annotations

import pytest

from service.consolidation import SAFETY_KINDS, sum_reports, summary

TARGETS = {"safety_at_least": 80, "movement_above": 80}

# (meeting, total, missed?) for the movement: above 80% only
MOVEMENT = [(81, 100, False), (80, 100, True), (79, 100, True), (4, 5, True), (5, 6, False)]
# (meeting, total, missed?) for each kind of safety: 80% or more
SAFETY = [(81, 100, False), (80, 100, False), (79, 100, True), (4, 5, False), (3, 4, True)]


def _report(movement: tuple[int, int], safety: tuple[int, int]) -> dict[str, object]:
    report = sum_reports([])
    report["movement"] = {"meeting": movement[0], "total": movement[1]}
    for kind in SAFETY_KINDS:
        report["safety"][kind] = {"meeting": safety[0], "total": safety[1]}
    return report


@pytest.mark.parametrize(("meeting", "total", "missed"), MOVEMENT)
def test_the_movement_target_is_above_80_percent(meeting: int, total: int, missed: bool) -> None:
    figures = summary(_report((meeting, total), (1, 1)), TARGETS)
    assert ("movement" in figures["targets_missed"]) is missed


@pytest.mark.parametrize(("meeting", "total", "missed"), SAFETY)
def test_the_safety_target_is_80_percent_or_more(meeting: int, total: int, missed: bool) -> None:
    figures = summary(_report((1, 1), (meeting, total)), TARGETS)
    expected = [f"safety.{kind}" for kind in SAFETY_KINDS] if missed else []
    assert figures["targets_missed"] == expected


def test_nothing_rated_misses_nothing_and_no_target_sets_none() -> None:
    assert summary(_report((0, 0), (0, 0)), TARGETS)["targets_missed"] == []
    assert summary(_report((1, 100), (1, 100)), {})["targets_missed"] == []

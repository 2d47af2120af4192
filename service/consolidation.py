"""Adding up result reports, so that no figure is counted twice.

A level's report is its own activities plus the consolidated reports of its direct units, and
what goes up is that report. So the figures of a level are never summed with those of the
units below its direct units: each direct unit's report already holds them. Shares are
recomputed from the summed counts, never averaged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from service.forms import AWARD_KINDS

SAFETY_KINDS = ("residential_areas", "communes", "agencies", "enterprises", "schools")
TOTALS = ("festivals_held", "participants", "budget_spent")


def _count(total: int = 0, meeting: int = 0) -> dict[str, int]:
    return {"total": total, "meeting": meeting}


def _awards(reports: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many awards of each kind the reports count together."""
    counts = dict.fromkeys(AWARD_KINDS, 0)
    for report in reports:
        for award in report.get("awards", []):
            counts[award["kind"]] += award["count"]
    return counts


def sum_reports(reports: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The figures of several reports added field by field, in the report's own shape (the
    prefill of a consolidation). Lists of festivals and the narrative are each level's own."""
    reports = list(reports)
    awards = _awards(reports)
    return {
        **{key: sum(r[key] for r in reports) for key in TOTALS},
        "festivals": [],
        "safety": {
            kind: _count(
                sum(r["safety"][kind]["total"] for r in reports),
                sum(r["safety"][kind]["meeting"] for r in reports),
            )
            for kind in SAFETY_KINDS
        },
        "movement": _count(
            sum(r["movement"]["total"] for r in reports),
            sum(r["movement"]["meeting"] for r in reports),
        ),
        "awards": [{"kind": kind, "count": n} for kind, n in awards.items() if n],
        "narrative": "",
    }


def with_units(own: dict[str, Any], units: list[dict[str, Any]]) -> dict[str, Any]:
    """A level's report as it consolidates: its own figures plus its units' reports, its
    festivals and narrative its own."""
    if not units:
        return own
    added = sum_reports([own, *units])
    return {**added, "festivals": own["festivals"], "narrative": own["narrative"]}


def own_part(report: dict[str, Any], units: dict[str, Any]) -> dict[str, Any]:
    """What a level did itself: its consolidated report less its units' sum (`sum_reports`),
    field by field; below zero where it lowered the units' figures with a reason."""
    return {
        **{key: report[key] - units[key] for key in TOTALS},
        "safety": {
            kind: _count(
                report["safety"][kind]["total"] - units["safety"][kind]["total"],
                report["safety"][kind]["meeting"] - units["safety"][kind]["meeting"],
            )
            for kind in SAFETY_KINDS
        },
        "movement": _count(
            report["movement"]["total"] - units["movement"]["total"],
            report["movement"]["meeting"] - units["movement"]["meeting"],
        ),
    }


def figures(report: dict[str, Any]) -> dict[str, int]:
    """Every number of a report by its path: what a consolidation may not silently lower."""
    found = {key: int(report[key]) for key in TOTALS}
    for kind in SAFETY_KINDS:
        for part in ("total", "meeting"):
            found[f"safety.{kind}.{part}"] = int(report["safety"][kind][part])
    for part in ("total", "meeting"):
        found[f"movement.{part}"] = int(report["movement"][part])
    found |= {f"awards.{kind}": n for kind, n in _awards([report]).items()}
    return found


def below_units(report: dict[str, Any], units: dict[str, Any]) -> dict[str, int]:
    """The figures of `report` lower than what its units reported together: path → their sum."""
    own, theirs = figures(report), figures(units)
    return {path: theirs[path] for path in theirs if own[path] < theirs[path]}


def share(count: dict[str, int]) -> dict[str, Any]:
    total, meeting = count["total"], count["meeting"]
    return {
        "total": total,
        "meeting": meeting,
        "share": None if total == 0 else round(meeting / total, 4),
    }


def summary(report: dict[str, Any], targets: dict[str, int | None]) -> dict[str, Any]:
    """The figures as the consolidated view shows them: totals, awards by kind, shares, and
    the plan's targets they miss (seed 004: "từ 80% trở lên" rated safe, "trên 80%" of the
    movement rated Khá or better: `safety_at_least`, `movement_above`)."""
    awards = _awards([report])
    safety = {kind: share(report["safety"][kind]) for kind in SAFETY_KINDS}
    movement = share(report["movement"])
    missed = []
    least = _fraction(targets.get("safety_at_least"))
    if least is not None:
        missed += [
            f"safety.{kind}"
            for kind, s in safety.items()
            if s["share"] is not None and s["share"] < least
        ]
    above = _fraction(targets.get("movement_above"))
    if above is not None and movement["share"] is not None and movement["share"] <= above:
        missed.append("movement")
    return {
        **{key: report[key] for key in TOTALS},
        "awards": awards,
        "safety": safety,
        "movement": movement,
        "targets_missed": missed,
    }


def _fraction(percent: int | None) -> float | None:
    return None if percent is None else percent / 100

"""Changes to a plan or report put in words: which field, from what, to what."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask_babel import gettext

from service.queries.processes import HistoryEvent
from service.web.formats import money, number, typed, vn_date
from service.web.labels import field_label


def worded_event(event: HistoryEvent) -> dict[str, Any]:
    """An event with its changes put in words, and the changes it proposed without applying
    them (a return's reviewer edits)."""
    data = event.data
    return {
        **asdict(event),
        "changes": [
            worded(c["path"], c.get("old"), c.get("new")) for c in data.get("changes") or []
        ],
        "proposed": [
            worded(c["path"], c.get("old"), c.get("new")) for c in data.get("proposed") or []
        ],
        # a consolidation: what the level changed of its units' sums
        "from_units": [
            worded(c["path"], c.get("old"), c.get("new"))
            for c in data.get("changed_from_units") or []
        ],
    }


def worded(path: str, old: Any, new: Any) -> dict[str, str]:
    """{what, old, new} as a reader sees them."""
    return {"what": path_label(path), "old": shown(path, old), "new": shown(path, new)}


def path_label(path: str) -> str:
    """`budget_lines[1].unit_amount` → "Dòng kinh phí 2 › Đơn giá"."""
    parts = []
    for part in path.split("."):
        name, _, index = part.partition("[")
        text = field_label(name) if name else ""
        if index:
            text = f"{text} {int(index.rstrip(']')) + 1}"
        parts.append(text)
    return " › ".join(p for p in parts if p)


def shown(path: str, value: Any) -> str:
    if value is None:
        return "—"
    last = path.rsplit(".", 1)[-1]
    if isinstance(value, bool):
        return str(gettext("yes") if value else gettext("no"))
    if isinstance(value, int) and last in ("unit_amount", "budget_spent"):
        return money(value)
    if isinstance(value, int):
        return number(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return vn_date(value)
    if isinstance(value, dict | list):
        return str(gettext("(%(count)s items)", count=len(value)))
    text = str(value)
    return typed(text if len(text) <= 300 else text[:299] + "…")  # what someone typed

"""What changed between two versions of a JSON document, path by path."""

from __future__ import annotations

import copy
import re
from typing import Any

_MISSING = object()


def diff(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """List `{path, old, new}` for every leaf that differs; lists are compared index by index.

    An added or removed key or item shows `None` on the side where it is absent.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[dict[str, Any]] = []
        for key in sorted(old.keys() | new.keys()):
            sub = f"{path}.{key}" if path else str(key)
            changes += diff(old.get(key, _MISSING), new.get(key, _MISSING), sub)
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            changes += diff(
                old[index] if index < len(old) else _MISSING,
                new[index] if index < len(new) else _MISSING,
                f"{path}[{index}]",
            )
        return changes
    if old == new:
        return []
    return [
        {
            "path": path,
            "old": None if old is _MISSING else old,
            "new": None if new is _MISSING else new,
        }
    ]


_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")  # "lines[1].amount" -> [1], "amount"


def patch(document: Any, changes: list[dict[str, Any]]) -> Any:
    """Apply `diff`'s changes to a copy of `document`, so `patch(a, diff(a, b))` is `b`.

    Up to what a change cannot tell apart: a key or item that is absent, null or empty (compare
    both sides through `settled`).
    """
    result = copy.deepcopy(document)
    for change in changes:
        steps = [int(index) if index else key for index, key in _STEP.findall(change["path"])]
        result = _put(result, steps, copy.deepcopy(change["new"]))
    return result


def _put(node: Any, steps: list[int | str], value: Any) -> Any:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if isinstance(step, int):
        items = node if isinstance(node, list) else []
        items += [None] * (step + 1 - len(items))
        items[step] = _put(items[step], rest, value)
        return items
    mapping = node if isinstance(node, dict) else {}
    mapping[step] = _put(mapping.get(step), rest, value)
    return mapping


def settled(value: Any) -> Any:
    """`value` without null or empty members (and lists without such a tail)."""
    if isinstance(value, dict):
        kept = {key: settled(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in (None, {}, [])}
    if isinstance(value, list):
        items = [settled(item) for item in value]
        while items and items[-1] in (None, {}, []):
            items.pop()
        return items
    return value

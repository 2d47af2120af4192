"""What changed between two versions of a JSON document, path by path."""

from __future__ import annotations

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

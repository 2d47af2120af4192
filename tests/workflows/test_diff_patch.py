"""`patch` undoes `diff`: replay rebuilds a plan from the changes its events recorded."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from workflows.diff import diff, patch, settled

keys = st.text("abcxyz_", min_size=1, max_size=3)
documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=20,
)


@given(documents, documents)
def test_patch_rebuilds_the_new_version_from_the_old_and_the_changes(old: Any, new: Any) -> None:
    assert settled(patch(old, diff(old, new))) == settled(new)


def test_a_plan_rebuilt_from_nothing() -> None:
    plan = {"title": "Kế hoạch", "budget_lines": [{"item": "Quà", "quantity": 30}], "note": None}
    lowered = {**plan, "budget_lines": [{"item": "Quà", "quantity": 20}]}
    rebuilt = patch(patch({}, diff({}, plan)), diff(plan, lowered))
    assert rebuilt == {**lowered, "note": None}
    assert settled({"a": [1, None, {}], "b": {"c": None}, "d": 0}) == {"a": [1], "d": 0}

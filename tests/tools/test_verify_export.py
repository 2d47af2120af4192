"""The offline verifier repeats the audit core's hashing on purpose; here the two must agree."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from workflows import audit

PATH = Path(__file__).parents[2] / "tools" / "verify_export.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_export", PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_export"] = module  # dataclasses and the like look themselves up here
    spec.loader.exec_module(module)
    return module


tool = _load()
plain = st.recursive(  # what an export's records hold: JSON without floats
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)


@given(st.dictionaries(st.text(), plain, max_size=9), st.binary(min_size=32, max_size=32))
def test_the_tool_hashes_an_event_as_the_service_does(record: Any, prev: bytes) -> None:
    assert tool.event_hash(record, prev.hex()) == audit.event_hash(record, prev.hex())


@given(st.integers(1, 40), st.data())
def test_the_tool_accepts_exactly_the_proofs_the_service_makes(
    size: int, data: st.DataObject
) -> None:
    leaves = [audit.leaf_hash(i.to_bytes(2, "big")) for i in range(size)]
    levels = audit.tree_levels(leaves)
    index, other = data.draw(st.integers(0, size - 1)), data.draw(st.integers(0, size - 1))
    proof = audit.inclusion_proof(levels, index)
    root = levels[-1][0]
    assert tool.included(leaves[index], index, size, proof, root)
    assert tool.included(leaves[other], index, size, proof, root) == (other == index)

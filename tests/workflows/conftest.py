from __future__ import annotations

from pathlib import Path

import pytest

from workflows.specs import Definition, load_definition

BPMN = Path(__file__).parents[2] / "bpmn"


@pytest.fixture(scope="session")
def chain() -> Definition:
    return load_definition("plan_chain.bpmn", (BPMN / "plan_chain.bpmn").read_bytes())

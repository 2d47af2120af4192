"""Workflow state as JSON, without the process spec in every blob.

SpiffWorkflow's serializer embeds the whole spec (about 10 KB) in each instance and rebuilds it
on every load. Definitions are deployed once and cached, so the state stores a reference instead
and each definition's serializer restores that reference to its already-parsed spec.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG


class _SpecRef:
    """Stands for the definition's spec inside a serialized workflow."""


class _SpecFreeWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]  # untyped base
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # BpmnWorkflowConverter.to_dict less its two spec conversions, which would cost half of
        # every dump only to be thrown away: the tasks and data come from WorkflowConverter.
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["spec"] = {"typename": "SpecRef"}
        dct["subprocess_specs"] = {
            name: {"typename": "SpecRef", "name": name} for name in workflow.subprocess_specs
        }
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def make_serializer(spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflowSerializer:
    """A serializer bound to one definition's parsed specs."""
    config = {**SPIFF_CONFIG, BpmnWorkflow: _SpecFreeWorkflowConverter}
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(
        _SpecRef,
        lambda _: {},
        lambda dct: subprocess_specs[dct["name"]] if "name" in dct else spec,
        typename="SpecRef",
    )
    registry.register(
        date,
        lambda value: {"value": value.isoformat()},
        lambda dct: date.fromisoformat(dct["value"]),
        typename="date",
    )
    return BpmnWorkflowSerializer(registry)

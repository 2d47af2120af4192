"""Parse and validate BPMN diagrams into deployable definitions.

A definition is immutable once deployed: its version is the SHA-256 of the file, and running
instances keep the definition they started on. Everything a deploy can refuse is refused here,
with the file, the element id, the line and the reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from workflows.errors import DiagramInvalid
from workflows.scripting import RestrictedCompileError, compile_expression, compile_script
from workflows.serialization import make_serializer

_NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
# (XPath, compile function) for every piece of Python a diagram may carry.
_CODE = (
    (".//bpmn:conditionExpression", compile_expression),
    (".//bpmn:timeDate | .//bpmn:timeDuration | .//bpmn:timeCycle", compile_expression),
    (".//bpmn:scriptTask/bpmn:script", compile_script),
    (".//spiff:preScript | .//spiff:postScript", compile_script),
)


@dataclass(frozen=True)
class UserTask:
    """What the service must know of a user task to accept the diagram."""

    element_id: str
    form: str  # the step kind it names: its `form` property, else its id
    report_round: str | None
    line: int | None


@dataclass(frozen=True)
class Definition:
    """One deployable process from one BPMN file."""

    process_id: str
    name: str
    filename: str
    sha256: str
    roles: tuple[str, ...]  # lane names, in the order they first appear
    report_rounds: tuple[str, ...]  # the `report_round` properties of its report steps
    user_tasks: tuple[UserTask, ...]
    spec: Any = field(repr=False)
    subprocess_specs: dict[str, Any] = field(repr=False)
    serializer: BpmnWorkflowSerializer = field(repr=False)


def load_definition(filename: str, xml: bytes) -> Definition:
    """Parse, validate and check one BPMN file; raise `DiagramInvalid` naming what is wrong."""
    try:
        tree = etree.fromstring(
            xml, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError as err:
        raise DiagramInvalid(
            file=filename, element_id=None, line=err.lineno, reason=str(err)
        ) from err
    _check_code(filename, tree)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(tree, filename)
        process_ids = _executable_processes(filename, tree)
        spec = parser.get_spec(process_ids[0])
        subprocess_specs = parser.get_subprocess_specs(process_ids[0])
    except ValidationException as err:
        raise DiagramInvalid(
            file=filename,
            element_id=err.id,
            line=err.line_number or None,
            reason=str(err).splitlines()[0],
        ) from err
    except DiagramInvalid:
        raise
    except Exception as err:  # noqa: BLE001  # any diagram a modeller produces must give a reason
        raise DiagramInvalid(file=filename, element_id=None, line=None, reason=repr(err)) from err
    roles = _check_lanes(filename, spec, tree)
    rounds = [
        p["report_round"]
        for t in spec.task_specs.values()
        if "report_round" in (p := getattr(t, "extensions", {}).get("properties", {}))
    ]
    return Definition(
        process_id=spec.name,
        name=spec.description or spec.name,
        filename=filename,
        sha256=hashlib.sha256(xml).hexdigest(),
        roles=roles,
        report_rounds=tuple(dict.fromkeys(rounds)),
        user_tasks=_user_tasks(spec, tree),
        spec=spec,
        subprocess_specs=subprocess_specs,
        serializer=make_serializer(spec, subprocess_specs),
    )


def _user_tasks(spec: Any, tree: Any) -> tuple[UserTask, ...]:
    found = []
    for task_spec in spec.task_specs.values():
        if not task_spec.manual:
            continue
        properties = getattr(task_spec, "extensions", {}).get("properties", {})
        node = tree.find(f".//*[@id='{task_spec.bpmn_id}']")
        found.append(
            UserTask(
                element_id=task_spec.bpmn_id,
                form=properties.get("form", task_spec.bpmn_id),
                report_round=properties.get("report_round"),
                line=None if node is None else node.sourceline,
            )
        )
    return tuple(found)


def _executable_processes(filename: str, tree: Any) -> list[str]:
    ids = [
        p.get("id") for p in tree.iterfind("bpmn:process", _NS) if p.get("isExecutable") == "true"
    ]
    if len(ids) != 1:
        raise DiagramInvalid(
            file=filename,
            element_id=None,
            line=None,
            reason=f"a diagram must hold exactly one executable process, found {len(ids)}",
        )
    return ids


def _check_code(filename: str, tree: Any) -> None:
    """Compile every condition and script with RestrictedPython before anything runs."""
    for xpath, compile_ in _CODE:
        for node in tree.xpath(xpath, namespaces=_NS):
            source = (node.text or "").strip()
            if not source:
                continue
            try:
                compile_(source)
            except RestrictedCompileError as err:
                owner = next((a for a in node.iterancestors() if a.get("id")), node)
                raise DiagramInvalid(
                    file=filename,
                    element_id=owner.get("id"),
                    line=node.sourceline,
                    reason="script refused: " + "; ".join(err.errors),
                ) from err


def _check_lanes(filename: str, spec: Any, tree: Any) -> tuple[str, ...]:
    """Every human task must sit in a lane: the lane names the role that performs it."""
    roles: list[str] = []
    for task_spec in spec.task_specs.values():
        if not task_spec.manual:
            continue
        if not task_spec.lane:
            node = tree.find(f".//*[@id='{task_spec.bpmn_id}']")
            raise DiagramInvalid(
                file=filename,
                element_id=task_spec.bpmn_id,
                line=None if node is None else node.sourceline,
                reason="a user task must lie in a lane named for the role that performs it",
            )
        if task_spec.lane not in roles:
            roles.append(task_spec.lane)
    return tuple(roles)

"""Deploy-time validation: a broken diagram names the file, the element, the line, the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workflows.errors import DiagramInvalid
from workflows.runtime import Runtime
from workflows.specs import load_definition

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="defs" targetNamespace="http://example.org/test">
"""


def diagram(body: str, lanes: str = "") -> bytes:
    """A one-process diagram: start -> body -> end, with the flows named s1 and s2."""
    return (
        HEAD
        + f"""  <bpmn:process id="p" isExecutable="true">
    {lanes}
    <bpmn:startEvent id="start"><bpmn:outgoing>s1</bpmn:outgoing></bpmn:startEvent>
    {body}
    <bpmn:endEvent id="end"><bpmn:incoming>s2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="s1" sourceRef="start" targetRef="work" />
    <bpmn:sequenceFlow id="s2" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
    ).encode()


def script_task(script: str) -> str:
    return f"""<bpmn:scriptTask id="work" scriptFormat="python">
      <bpmn:incoming>s1</bpmn:incoming><bpmn:outgoing>s2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>"""


def refused(xml: bytes) -> dict[str, object]:
    with pytest.raises(DiagramInvalid) as caught:
        load_definition("broken.bpmn", xml)
    assert caught.value.params["file"] == "broken.bpmn"
    assert caught.value.params["reason"]
    return caught.value.params


def test_the_shipped_diagrams_are_valid() -> None:
    for path in (Path(__file__).parents[2] / "bpmn").glob("*.bpmn"):
        assert load_definition(path.name, path.read_bytes()).roles


def test_not_xml_is_refused_with_its_line() -> None:
    params = refused(b"<x>\n<y>\n</x>")
    assert params["line"] == 3


def test_schema_violation_is_refused() -> None:
    params = refused(
        diagram(
            '<bpmn:userTask id="work" bogus="1"><bpmn:incoming>s1</bpmn:incoming>'
            "<bpmn:outgoing>s2</bpmn:outgoing></bpmn:userTask>"
        )
    )
    assert "bogus" in str(params["reason"])


def test_user_task_outside_any_lane_is_refused() -> None:
    params = refused(
        diagram(
            '<bpmn:userTask id="work"><bpmn:incoming>s1</bpmn:incoming>'
            "<bpmn:outgoing>s2</bpmn:outgoing></bpmn:userTask>"
        )
    )
    assert params["element_id"] == "work"
    assert "lane" in str(params["reason"])


def test_dangling_flow_is_refused_with_the_element() -> None:
    xml = diagram(script_task("x = 1")).replace(b'targetRef="end"', b'targetRef="nowhere"')
    params = refused(xml)
    assert params["element_id"] or "nowhere" in str(params["reason"])


def test_two_executable_processes_are_refused() -> None:
    xml = diagram(script_task("x = 1")).replace(
        b"</bpmn:definitions>",
        b'<bpmn:process id="q" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>'
        b"</bpmn:definitions>",
    )
    assert "exactly one" in str(refused(xml)["reason"])


def test_a_script_that_walks_to_os_is_refused_at_deploy() -> None:
    """The escape that works against plain exec with RestrictedPython's safe_globals."""
    escape = (
        "for c in ().__class__.__base__.__subclasses__():\n"
        "    if c.__name__ == '_wrap_close':\n"
        "        pid = c.__init__.__globals__['getpid']()"
    )
    params = refused(diagram(script_task(escape)))
    assert params["element_id"] == "work"
    assert "__class__" in str(params["reason"])
    assert params["line"] is not None


def test_an_import_in_a_condition_is_refused_at_deploy() -> None:
    body = (
        script_task("x = 1").replace("s2", "s9", 2)
        + """
    <bpmn:exclusiveGateway id="gw" default="s2"><bpmn:incoming>s9</bpmn:incoming>
      <bpmn:outgoing>s2</bpmn:outgoing><bpmn:outgoing>s3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="s9" sourceRef="work" targetRef="gw" />
    <bpmn:sequenceFlow id="s3" sourceRef="gw" targetRef="end">
      <bpmn:conditionExpression>__import__("os").system("id") == 0</bpmn:conditionExpression>
    </bpmn:sequenceFlow>"""
    )
    xml = diagram(body).replace(
        b'sourceRef="work" targetRef="end"', b'sourceRef="gw" targetRef="end"'
    )
    params = refused(xml)
    assert params["element_id"] == "s3"


def test_a_plain_script_runs_in_the_sandbox() -> None:
    definition = load_definition(
        "ok.bpmn",
        diagram(
            script_task("total = sum(q * a for q, a in [(2, 15), (54, 5)])\nlabels = [str(total)]")
        ),
    )
    runtime = Runtime.start(definition, [], datetime(2023, 7, 1, tzinfo=UTC))
    assert runtime.completed

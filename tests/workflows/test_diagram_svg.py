"""The BPMN diagram drawn as SVG from its diagram interchange, with steps marked."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from workflows.diagram_svg import SVG, render_svg

BPMN = (Path(__file__).parents[2] / "bpmn" / "plan_chain.bpmn").read_bytes()
NS = {"s": SVG}


def _svg(**kwargs: object) -> etree._Element:
    return etree.fromstring(render_svg(BPMN, **kwargs).encode())  # type: ignore[arg-type]


def _node(svg: etree._Element, element_id: str) -> etree._Element:
    (node,) = svg.xpath(f"//s:g[@data-element-id='{element_id}']", namespaces=NS)
    return node


def test_every_shape_edge_and_lane_is_drawn_inside_the_view_box() -> None:
    svg = _svg(title="Kế hoạch")
    x, y, width, height = (float(v) for v in svg.get("viewBox").split())
    assert (x, y) == (148, 68) and width > 2100 and height > 600
    for element_id in ("draft_plan", "finance_appraisal", "chairman_sign", "start", "plan_done"):
        assert _node(svg, element_id).get("class").startswith("bpmn-node")
    assert len(svg.xpath("//s:g[@class='bpmn-lane']", namespaces=NS)) == 4
    edges = svg.xpath("//s:g[@class='bpmn-edges']/s:g", namespaces=NS)
    assert len(edges) == BPMN.count(b"<bpmndi:BPMNEdge ") == 25
    (back,) = svg.xpath("//s:g[@data-element-id='flow_finance_return']/s:polyline", namespaces=NS)
    assert back.get("points") == "830,335 830,375 340,375 340,195"  # the waypoints, in order
    assert svg.findtext(f"{{{SVG}}}title") == "Kế hoạch"


def test_names_and_labels_come_from_the_diagram_and_the_caller() -> None:
    svg = _svg(lane_labels={"finance": "Sở Tài chính"})
    texts = " ".join(" ".join(t.itertext()) for t in svg.iter(f"{{{SVG}}}text"))
    assert "Thẩm định" in texts and "kinh phí" in texts  # a task name, wrapped
    assert "Sở Tài chính" in texts and "standing_body" in texts  # relabelled lane, and not
    assert "Trả lại" in texts  # a sequence flow's name at its label bounds


def test_open_and_done_steps_are_marked_and_the_path_taken_is_drawn_green() -> None:
    svg = _svg(
        open_ids={"finance_appraisal"},
        done_ids={"start", "draft_plan", "to_draft", "has_finance"},
        status_labels={"open": "đang xử lý", "done": "đã xong"},
    )
    current = _node(svg, "finance_appraisal")
    assert "bpmn-open" in current.get("class")
    assert current.findtext(f"{{{SVG}}}title") == "Thẩm định kinh phí — đang xử lý"
    assert "bpmn-done" in _node(svg, "draft_plan").get("class")
    assert "bpmn-open" not in _node(svg, "chairman_sign").get("class")
    assert "bpmn-done" not in _node(svg, "chairman_sign").get("class")
    assert "bpmn-taken" in _node(svg, "flow_has_finance_yes").get("class")
    assert "bpmn-taken" not in _node(svg, "flow_finance_return").get("class")


def test_hostile_names_are_escaped_and_a_diagram_without_di_still_renders() -> None:
    hostile = BPMN.replace(
        'name="Bắt đầu"'.encode(), b'name="&lt;script&gt;alert(1)&lt;/script&gt;"'
    )
    out = render_svg(hostile)
    assert "<script>" not in out and "&lt;script&gt;" in out
    bare = b"""<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
      <process id="p"><startEvent id="s"/></process></definitions>"""
    assert etree.fromstring(render_svg(bare).encode()).get("viewBox") == "0 0 100 100"

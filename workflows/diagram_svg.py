"""A BPMN diagram as SVG, drawn from its diagram interchange (BPMNDI), with steps marked.

Pure: the standard library and lxml. Pools and lanes, tasks, gateways, events, sequence flows
with their waypoints, and the labels where the modeller placed them. Steps in `open_ids` and
`done_ids` get the classes `bpmn-open` and `bpmn-done` (and colours as attributes, so the SVG
reads right even without a stylesheet). Every text comes from the diagram or the caller.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from lxml import etree

MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SVG = "http://www.w3.org/2000/svg"
_NS = {"bpmn": MODEL, "bpmndi": BPMNDI, "dc": DC, "di": DI}

ACTIVITIES = frozenset(
    {
        "task",
        "userTask",
        "manualTask",
        "serviceTask",
        "scriptTask",
        "sendTask",
        "receiveTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
    }
)
GATEWAYS = frozenset(
    {
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    }
)
EVENTS = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
    }
)
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"
INK, PAPER, MUTED = "#1f2937", "#ffffff", "#6b7280"
OPEN_STROKE, OPEN_FILL = "#b45309", "#fff4dc"
DONE_STROKE, DONE_FILL = "#15803d", "#e8f6ed"
LANE_FILLS = ("#f8fafc", "#f1f5f9")


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2


def render_svg(
    bpmn: bytes | str,
    *,
    open_ids: Iterable[str] = (),
    done_ids: Iterable[str] = (),
    lane_labels: Mapping[str, str] | None = None,
    status_labels: Mapping[str, str] | None = None,
    title: str | None = None,
) -> str:
    """The diagram of `bpmn` as an SVG document (a string).

    `lane_labels` maps a lane's name (a role) to what to print instead; `status_labels` gives
    the words for "open" and "done" in each marked step's tooltip; `title` names the picture.
    """
    xml = bpmn.encode() if isinstance(bpmn, str) else bpmn
    tree = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    elements = {e.get("id"): e for e in tree.iter() if isinstance(e.tag, str) and e.get("id")}
    plane = tree.find(".//bpmndi:BPMNDiagram/bpmndi:BPMNPlane", _NS)
    drawing = _Drawing(
        elements,
        frozenset(open_ids),
        frozenset(done_ids),
        lane_labels or {},
        status_labels or {},
    )
    if plane is not None:
        drawing.draw(plane)
    return drawing.svg(title)


class _Drawing:
    def __init__(
        self,
        elements: Mapping[str | None, etree._Element],
        open_ids: frozenset[str],
        done_ids: frozenset[str],
        lane_labels: Mapping[str, str],
        status_labels: Mapping[str, str],
    ) -> None:
        self.elements = elements
        self.open_ids = open_ids
        self.done_ids = done_ids - open_ids
        self.lane_labels = lane_labels
        self.status_labels = status_labels
        self.layers = {name: etree.Element(f"{{{SVG}}}g") for name in ("pools", "edges", "nodes")}
        for name, layer in self.layers.items():
            layer.set("class", f"bpmn-{name}")
        self.xs: list[float] = []
        self.ys: list[float] = []

    # --- the document -------------------------------------------------------------------

    def svg(self, title: str | None) -> str:
        pad = 12.0
        if self.xs:
            x0, y0 = min(self.xs) - pad, min(self.ys) - pad
            width, height = max(self.xs) - x0 + pad, max(self.ys) - y0 + pad
        else:
            x0 = y0 = 0.0
            width = height = 100.0
        root = etree.Element(f"{{{SVG}}}svg", nsmap={None: SVG})
        root.set("viewBox", f"{_n(x0)} {_n(y0)} {_n(width)} {_n(height)}")
        root.set("width", _n(width))
        root.set("height", _n(height))
        root.set("role", "img")
        root.set("class", "bpmn-diagram")
        root.set("font-family", FONT)
        if title:
            root.set("aria-label", title)
            etree.SubElement(root, f"{{{SVG}}}title").text = title
        defs = etree.SubElement(root, f"{{{SVG}}}defs")
        for marker_id, colour in (
            ("bpmn-arrow", INK),
            ("bpmn-arrow-done", DONE_STROKE),
        ):
            marker = _sub(
                defs,
                "marker",
                id=marker_id,
                viewBox="0 0 10 10",
                refX="9",
                refY="5",
                markerWidth="7",
                markerHeight="7",
                orient="auto-start-reverse",
            )
            _sub(marker, "path", d="M0,0 L10,5 L0,10 z", fill=colour)
        for layer in self.layers.values():
            root.append(layer)
        return str(etree.tostring(root, encoding="unicode"))

    def draw(self, plane: etree._Element) -> None:
        for node in plane:
            if not isinstance(node.tag, str):
                continue
            element = self.elements.get(node.get("bpmnElement"))
            if element is None:
                continue
            kind = etree.QName(element).localname
            if node.tag == f"{{{BPMNDI}}}BPMNShape":
                bounds = _bounds(node)
                if bounds is not None:
                    self._shape(node, element, kind, bounds)
            elif node.tag == f"{{{BPMNDI}}}BPMNEdge":
                self._edge(node, element)

    # --- shapes ---------------------------------------------------------------------------

    def _shape(self, node: etree._Element, element: etree._Element, kind: str, box: Box) -> None:
        self._extend(box)
        name = element.get("name") or ""
        if kind in ("participant", "lane"):
            self._container(element, kind, box, name)
            return
        element_id = element.get("id") or ""
        state = (
            "open" if element_id in self.open_ids else "done" if element_id in self.done_ids else ""
        )
        group = _sub(self.layers["nodes"], "g", **{"class": f"bpmn-node bpmn-{kind}"})
        group.set("data-element-id", element_id)
        if state:
            group.set("class", f"{group.get('class')} bpmn-{state}")
        tooltip = name or element_id
        if state and state in self.status_labels:
            tooltip = f"{tooltip} — {self.status_labels[state]}"
        _sub(group, "title").text = tooltip
        stroke, fill, width = INK, PAPER, 1.5
        if state == "open":
            stroke, fill, width = OPEN_STROKE, OPEN_FILL, 4
        elif state == "done":
            stroke, fill, width = DONE_STROKE, DONE_FILL, 2.5
        if kind in ACTIVITIES:
            self._activity(group, kind, box, name, stroke, fill, width)
        elif kind in GATEWAYS:
            self._gateway(group, node, element, kind, box, stroke, fill, width)
            self._outside_label(node, box, name)
        elif kind in EVENTS:
            self._event(group, element, kind, box, stroke, fill, width)
            self._outside_label(node, box, name)
        else:  # data objects, annotations…: a plain box
            _sub(group, "rect", **_rect(box), fill=fill, stroke=stroke, **{"stroke-width": "1"})
            self._text(group, name, box, size=11)
        if state:
            self._badge(group, box, state, kind)

    def _container(self, element: etree._Element, kind: str, box: Box, name: str) -> None:
        layer = self.layers["pools"]
        if kind == "lane":
            name = self.lane_labels.get(name, name)
            index = sum(1 for _ in layer.iterfind(f"{{{SVG}}}g[@class='bpmn-lane']"))
            fill = LANE_FILLS[index % 2]
        else:
            fill = PAPER
        group = _sub(layer, "g", **{"class": f"bpmn-{kind}"})
        group.set("data-element-id", element.get("id") or "")
        _sub(group, "rect", **_rect(box), fill=fill, stroke="#94a3b8", **{"stroke-width": "1"})
        band = 30.0
        _sub(
            group,
            "line",
            x1=_n(box.x + band),
            y1=_n(box.y),
            x2=_n(box.x + band),
            y2=_n(box.y + box.height),
            stroke="#94a3b8",
            **{"stroke-width": "1"},
        )
        if name:
            cx, cy = box.x + band / 2, box.cy
            text = _sub(
                group,
                "text",
                x=_n(cx),
                y=_n(cy),
                transform=f"rotate(-90 {_n(cx)} {_n(cy)})",
                fill=INK,
                **{
                    "text-anchor": "middle",
                    "dominant-baseline": "central",
                    "font-size": "13",
                    "font-weight": "600",
                },
            )
            text.text = _ellipsis(name, int(box.height / 7.5))

    def _activity(
        self,
        group: etree._Element,
        kind: str,
        box: Box,
        name: str,
        stroke: str,
        fill: str,
        width: float,
    ) -> None:
        _sub(
            group,
            "rect",
            **_rect(box),
            rx="10",
            ry="10",
            fill=fill,
            stroke=stroke,
            **{"stroke-width": _n(width)},
        )
        if kind == "userTask":
            x, y = box.x + 8, box.y + 6
            _sub(group, "circle", cx=_n(x + 6), cy=_n(y + 4), r="3.5", fill="none", stroke=MUTED)
            _sub(
                group,
                "path",
                d=f"M{_n(x)},{_n(y + 15)} q0,-7 6,-7 q6,0 6,7 z",
                fill="none",
                stroke=MUTED,
            )
        elif kind in ("receiveTask", "sendTask"):
            self._envelope(group, box.x + 8, box.y + 7, filled=kind == "sendTask")
        self._text(group, name, Box(box.x + 4, box.y + 12, box.width - 8, box.height - 14), 12)

    def _gateway(
        self,
        group: etree._Element,
        node: etree._Element,
        element: etree._Element,
        kind: str,
        box: Box,
        stroke: str,
        fill: str,
        width: float,
    ) -> None:
        points = [
            (box.cx, box.y),
            (box.x + box.width, box.cy),
            (box.cx, box.y + box.height),
            (box.x, box.cy),
        ]
        _sub(
            group,
            "polygon",
            points=" ".join(f"{_n(x)},{_n(y)}" for x, y in points),
            fill=fill,
            stroke=stroke,
            **{"stroke-width": _n(width)},
        )
        r = box.width / 5
        mark = {"stroke": stroke, "stroke-width": "3", "stroke-linecap": "round"}
        if kind == "exclusiveGateway" and node.get("isMarkerVisible") == "true":
            for dx in (-1, 1):
                _sub(
                    group,
                    "line",
                    x1=_n(box.cx - r),
                    y1=_n(box.cy - dx * r),
                    x2=_n(box.cx + r),
                    y2=_n(box.cy + dx * r),
                    **mark,
                )
        elif kind == "parallelGateway":
            _sub(
                group,
                "line",
                x1=_n(box.cx - r),
                y1=_n(box.cy),
                x2=_n(box.cx + r),
                y2=_n(box.cy),
                **mark,
            )
            _sub(
                group,
                "line",
                x1=_n(box.cx),
                y1=_n(box.cy - r),
                x2=_n(box.cx),
                y2=_n(box.cy + r),
                **mark,
            )
        elif kind == "inclusiveGateway":
            _sub(group, "circle", cx=_n(box.cx), cy=_n(box.cy), r=_n(r * 1.2), fill="none", **mark)
        elif kind in ("eventBasedGateway", "complexGateway"):
            _sub(
                group,
                "circle",
                cx=_n(box.cx),
                cy=_n(box.cy),
                r=_n(r * 1.3),
                fill="none",
                stroke=stroke,
            )

    def _event(
        self,
        group: etree._Element,
        element: etree._Element,
        kind: str,
        box: Box,
        stroke: str,
        fill: str,
        width: float,
    ) -> None:
        r = min(box.width, box.height) / 2
        ring = {"fill": fill, "stroke": stroke}
        if kind == "endEvent":
            _sub(
                group,
                "circle",
                cx=_n(box.cx),
                cy=_n(box.cy),
                r=_n(r),
                **ring,
                **{"stroke-width": "4"},
            )
        else:
            dashed = kind == "boundaryEvent" and element.get("cancelActivity") == "false"
            attrs = {"stroke-width": _n(max(width, 1.5))}
            if dashed:
                attrs["stroke-dasharray"] = "4 3"
            _sub(group, "circle", cx=_n(box.cx), cy=_n(box.cy), r=_n(r), **ring, **attrs)
            if kind != "startEvent":
                _sub(
                    group,
                    "circle",
                    cx=_n(box.cx),
                    cy=_n(box.cy),
                    r=_n(r - 3),
                    fill="none",
                    stroke=stroke,
                )
        if element.find("bpmn:timerEventDefinition", _NS) is not None:
            inner = r - 7
            _sub(
                group,
                "circle",
                cx=_n(box.cx),
                cy=_n(box.cy),
                r=_n(inner),
                fill=PAPER,
                stroke=stroke,
            )
            _sub(
                group,
                "path",
                d=f"M{_n(box.cx)},{_n(box.cy - inner + 3)} L{_n(box.cx)},{_n(box.cy)} "
                f"L{_n(box.cx + inner - 4)},{_n(box.cy)}",
                fill="none",
                stroke=stroke,
            )
        elif element.find("bpmn:messageEventDefinition", _NS) is not None:
            self._envelope(
                group,
                box.cx - 8,
                box.cy - 5.5,
                filled=kind in ("endEvent", "intermediateThrowEvent"),
            )

    def _envelope(self, group: etree._Element, x: float, y: float, *, filled: bool) -> None:
        _sub(
            group,
            "rect",
            x=_n(x),
            y=_n(y),
            width="16",
            height="11",
            fill=INK if filled else PAPER,
            stroke=MUTED if not filled else INK,
        )
        _sub(
            group,
            "path",
            d=f"M{_n(x)},{_n(y)} L{_n(x + 8)},{_n(y + 6)} L{_n(x + 16)},{_n(y)}",
            fill="none",
            stroke=PAPER if filled else MUTED,
        )

    def _badge(self, group: etree._Element, box: Box, state: str, kind: str) -> None:
        """A corner mark: ✓ on done steps, a dot on open ones (colour is not the only cue)."""
        if kind in ACTIVITIES:
            cx, cy = box.x + box.width - 2, box.y + 2
        else:
            cx, cy = box.x + box.width, box.y
        colour = OPEN_STROKE if state == "open" else DONE_STROKE
        _sub(
            group,
            "circle",
            cx=_n(cx),
            cy=_n(cy),
            r="9",
            fill=colour,
            stroke=PAPER,
            **{"stroke-width": "2"},
        )
        if state == "done":
            _sub(
                group,
                "path",
                d=f"M{_n(cx - 4)},{_n(cy)} l3,3 l5,-6",
                fill="none",
                stroke=PAPER,
                **{"stroke-width": "2", "stroke-linecap": "round", "stroke-linejoin": "round"},
            )
        else:
            _sub(group, "circle", cx=_n(cx), cy=_n(cy), r="3", fill=PAPER)

    # --- edges ----------------------------------------------------------------------------

    def _edge(self, node: etree._Element, element: etree._Element) -> None:
        points = [
            (float(w.get("x", 0)), float(w.get("y", 0))) for w in node.iterfind("di:waypoint", _NS)
        ]
        if len(points) < 2:
            return
        for x, y in points:
            self.xs.append(x)
            self.ys.append(y)
        source, target = element.get("sourceRef"), element.get("targetRef")
        marked = self.done_ids | self.open_ids
        taken = source in self.done_ids and target in marked
        group = _sub(
            self.layers["edges"], "g", **{"class": "bpmn-edge" + (" bpmn-taken" if taken else "")}
        )
        group.set("data-element-id", element.get("id") or "")
        _sub(
            group,
            "polyline",
            points=" ".join(f"{_n(x)},{_n(y)}" for x, y in points),
            fill="none",
            stroke=DONE_STROKE if taken else INK,
            **{
                "stroke-width": "2" if taken else "1.3",
                "stroke-linejoin": "round",
                "marker-end": "url(#bpmn-arrow-done)" if taken else "url(#bpmn-arrow)",
            },
        )
        name = element.get("name") or ""
        if not name:
            return
        label = node.find("bpmndi:BPMNLabel/dc:Bounds", _NS)
        if label is not None:
            box = _box(label)
        else:  # no placement: beside the middle of the longest segment
            (x1, y1), (x2, y2) = max(
                zip(points, points[1:], strict=False),
                key=lambda seg: math.dist(seg[0], seg[1]),
            )
            box = Box((x1 + x2) / 2 + 4, (y1 + y2) / 2 - 16, 60, 14)
        self._extend(box)
        self._text(group, name, box, size=11, fill=MUTED, anchor="start", backdrop=True)

    # --- text -----------------------------------------------------------------------------

    def _outside_label(self, node: etree._Element, box: Box, name: str) -> None:
        if not name:
            return
        bounds = node.find("bpmndi:BPMNLabel/dc:Bounds", _NS)
        label = (
            _box(bounds)
            if bounds is not None
            else Box(box.x - 25, box.y + box.height + 4, box.width + 50, 14)
        )
        self._extend(label)
        self._text(self.layers["nodes"], name, label, size=11, fill=MUTED, backdrop=True)

    def _text(
        self,
        parent: etree._Element,
        text: str,
        box: Box,
        size: float,
        fill: str = INK,
        anchor: str = "middle",
        backdrop: bool = False,
    ) -> None:
        if not text:
            return
        per_line = max(4, int(box.width / (size * 0.52)) + 2)
        lines = _wrap(text, per_line)
        line_height = size * 1.2
        top = box.cy - line_height * (len(lines) - 1) / 2 if anchor == "middle" else box.y + size
        x = box.cx if anchor == "middle" else box.x
        if anchor == "middle" and len(lines) * line_height > box.height and box.height > 20:
            top = box.y + size
        if backdrop:
            widest = max(len(line) for line in lines) * size * 0.52
            left = x - widest / 2 if anchor == "middle" else x
            _sub(
                parent,
                "rect",
                x=_n(left - 2),
                y=_n(top - size),
                width=_n(widest + 4),
                height=_n(line_height * len(lines) + 2),
                fill=PAPER,
                opacity="0.85",
                rx="2",
            )
        node = _sub(
            parent,
            "text",
            x=_n(x),
            y=_n(top),
            fill=fill,
            **{"font-size": _n(size), "text-anchor": anchor},
        )
        if anchor == "middle":
            node.set("dominant-baseline", "central")
        for index, line in enumerate(lines):
            span = _sub(node, "tspan", x=_n(x))
            if index:
                span.set("dy", _n(line_height))
            span.text = line

    def _extend(self, box: Box) -> None:
        self.xs += [box.x, box.x + box.width]
        self.ys += [box.y, box.y + box.height]


def _wrap(text: str, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return lines or [text]


def _ellipsis(text: str, length: int) -> str:
    return text if len(text) <= length else text[: max(1, length - 1)] + "…"


def _bounds(node: etree._Element) -> Box | None:
    bounds = node.find("dc:Bounds", _NS)
    return None if bounds is None else _box(bounds)


def _box(bounds: etree._Element) -> Box:
    return Box(
        float(bounds.get("x", 0)),
        float(bounds.get("y", 0)),
        float(bounds.get("width", 0)),
        float(bounds.get("height", 0)),
    )


def _rect(box: Box) -> dict[str, str]:
    return {"x": _n(box.x), "y": _n(box.y), "width": _n(box.width), "height": _n(box.height)}


def _n(value: float) -> str:
    """A coordinate without a trailing `.0`."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _sub(parent: etree._Element, tag: str, **attributes: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{SVG}}}{tag}", attributes)

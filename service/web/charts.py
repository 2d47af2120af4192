"""A line chart as SVG, drawn server-side with lxml.

Written here rather than taken from pygal: pygal adds a legacy import hook to `sys.meta_path`
when imported, which warns on every later import. Colours are presentation attributes, not
inline styles, so the strict CSP holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

SVG = "http://www.w3.org/2000/svg"
COLOURS = ("#1a5fb4", "#26a269", "#c01c28", "#9141ac")
WIDTH, HEIGHT = 900, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 64  # margins: axis labels left, legend below


def line_chart(labels: Sequence[str], series: dict[str, Sequence[int]], title: str) -> str:
    """One line per series over the same x `labels`; integer y axis from 0."""
    svg = etree.Element(
        f"{{{SVG}}}svg",
        nsmap={None: SVG},
        width=str(WIDTH),
        height=str(HEIGHT),
        viewBox=f"0 0 {WIDTH} {HEIGHT}",
        role="img",
        **{"font-family": "sans-serif", "font-size": "12"},
    )
    etree.SubElement(svg, f"{{{SVG}}}title").text = title
    top = max((max(values, default=0) for values in series.values()), default=0)
    top = max(top, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: int) -> float:
        return TOP + plot_h - v / top * plot_h

    for tick in sorted({0, top // 2, top}):  # gridlines
        _line(svg, LEFT, y(tick), WIDTH - RIGHT, y(tick), "#d0d4d9")
        _text(svg, LEFT - 6, y(tick) + 4, str(tick), anchor="end")
    every = max(len(labels) // 12, 1)
    for i in range(0, len(labels), every):
        _text(svg, x(i), HEIGHT - BOTTOM + 16, labels[i], anchor="middle")
    for n, (name, values) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        etree.SubElement(
            svg,
            f"{{{SVG}}}polyline",
            points=points,
            fill="none",
            stroke=colour,
            **{"stroke-width": "2", "data-series": name},
        )
        legend_x = LEFT + n * 190
        _line(svg, legend_x, HEIGHT - 18, legend_x + 18, HEIGHT - 18, colour, width=3)
        _text(svg, legend_x + 24, HEIGHT - 14, name)
    return str(etree.tostring(svg, encoding="unicode"))


def _line(
    parent: etree._Element, x1: float, y1: float, x2: float, y2: float, colour: str, width: int = 1
) -> None:
    etree.SubElement(
        parent,
        f"{{{SVG}}}line",
        x1=f"{x1:.1f}",
        y1=f"{y1:.1f}",
        x2=f"{x2:.1f}",
        y2=f"{y2:.1f}",
        stroke=colour,
        **{"stroke-width": str(width)},
    )


def _text(parent: etree._Element, x: float, y: float, text: str, anchor: str = "start") -> None:
    node = etree.SubElement(parent, f"{{{SVG}}}text", x=f"{x:.1f}", y=f"{y:.1f}", fill="#3d4650")
    node.set("text-anchor", anchor)
    node.text = text

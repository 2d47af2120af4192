"""An official document as PDF: one HTML layout, typeset by WeasyPrint (Pango, real fonts)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape

from service.documents.layout import MOTTO, Box, Heading, OfficialDocument, Paragraph, Stamp


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("service.documents"), autoescape=select_autoescape(default=True)
    )
    env.tests["heading"] = lambda block: isinstance(block, Heading)
    env.tests["paragraph"] = lambda block: isinstance(block, Paragraph)
    return env


def html(doc: OfficialDocument, stamps: Sequence[Stamp] = (), watermark: str = "") -> str:
    return (
        _environment()
        .get_template("document.html")
        .render(doc=doc, motto=MOTTO, stamps=stamps, watermark=watermark)
    )


def write_pdf(doc: OfficialDocument, watermark: str = "") -> bytes:
    """The PDF; with a `watermark` ("BẢN XEM TRƯỚC") across every page and atop the first, so
    that a preview is never taken for the issued document."""
    return render_pdf(doc, watermark=watermark)[0]


def render_pdf(
    doc: OfficialDocument, stamps: Sequence[Stamp] = (), watermark: str = ""
) -> tuple[bytes, dict[str, Box]]:
    """The PDF, with the appearances of the digital signatures to come drawn in the signature
    space, and where each landed (by field, in PDF points) for its signature field."""
    # imported here: WeasyPrint takes seconds to load, which every `flask` command and web
    # process would pay at start while only the render worker and drafts typeset
    from weasyprint import HTML

    document = HTML(string=html(doc, stamps, watermark)).render()
    pdf: bytes = document.write_pdf()
    pt = 0.75  # points per CSS px; anchors are CSS px from the top left, PDF's origin bottom left
    boxes = {}
    for stamp in stamps:
        anchor = f"stamp-{stamp.field}"
        # the signature's page: the last but for the appendices after it
        index, page = next((i, p) for i, p in enumerate(document.pages) if anchor in p.anchors)
        x1, y1, x2, y2 = page.anchors[anchor]
        boxes[stamp.field] = Box(
            index, x1 * pt, (page.height - y2) * pt, x2 * pt, (page.height - y1) * pt
        )
    return pdf, boxes

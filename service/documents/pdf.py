"""An official document as PDF: one HTML layout, typeset by WeasyPrint (Pango, real fonts)."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape
from weasyprint import HTML

from service.documents.layout import MOTTO, Heading, OfficialDocument, Paragraph


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("service.documents"), autoescape=select_autoescape(default=True)
    )
    env.tests["heading"] = lambda block: isinstance(block, Heading)
    env.tests["paragraph"] = lambda block: isinstance(block, Paragraph)
    return env


def html(doc: OfficialDocument) -> str:
    return _environment().get_template("document.html").render(doc=doc, motto=MOTTO)


def write_pdf(doc: OfficialDocument) -> bytes:
    pdf: bytes = HTML(string=html(doc)).write_pdf()
    return pdf

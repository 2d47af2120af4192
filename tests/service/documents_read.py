"""Reading signed documents back: the text of a DOCX (python-docx) and of a PDF (pypdf)."""

from __future__ import annotations

import re
import unicodedata
from io import BytesIO

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from docx import Document
from pypdf import PdfReader


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def docx_text(content: bytes) -> str:
    """Every paragraph, in the body and in table cells, one per line."""
    doc = Document(BytesIO(content))
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines += [p.text for cell in row.cells for p in cell.paragraphs]
    return "\n".join(_flat(line) for line in lines)


def pdf_text(content: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces made single spaces."""
    return _flat(" ".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages))


def docx_rows(content: bytes) -> list[list[str]]:
    """Every row of every table in the DOCX, as its cells' text."""
    doc = Document(BytesIO(content))
    return [[_flat(cell.text) for cell in row.cells] for table in doc.tables for row in table.rows]


def pdf_rows(content: bytes) -> list[list[str]]:
    """Every row of every ruled table in the PDF, as its cells' text, read back by position:
    each cell's vertical borders are path objects one row high, so the borders of equal height
    at equal place make a row, and the text between two neighbouring borders is a cell."""
    pdf = pdfium.PdfDocument(content)
    rows: list[list[str]] = []
    try:
        for page in pdf:
            borders: dict[tuple[int, int], set[float]] = {}
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH]):
                left, bottom, right, top = obj.get_bounds()
                if right - left < 2 and top - bottom > 5:  # a vertical rule
                    row = borders.setdefault((round(top), round(bottom)), set())
                    row.add(round((left + right) / 2, 1))
            text = page.get_textpage()
            for (top, bottom), xs in sorted(borders.items(), reverse=True):
                edges = sorted(xs)
                rows.append(
                    [
                        _flat(text.get_text_bounded(x1, bottom, x2, top))
                        for x1, x2 in zip(edges, edges[1:], strict=False)
                    ]
                )
    finally:
        pdf.close()
    return rows

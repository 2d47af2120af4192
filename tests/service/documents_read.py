"""Reading signed documents back: the text of a DOCX (python-docx) and of a PDF (pypdf)."""

from __future__ import annotations

import re
import unicodedata
from io import BytesIO

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

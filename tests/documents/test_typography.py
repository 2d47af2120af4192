"""Every Vietnamese letter with every tone mark is typeset in the document's own font: a letter
missing from the font would silently fall back to another family ("TRƯỞNG" with a foreign ở)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from io import BytesIO

from pypdf import PdfReader

from service.documents.layout import Heading, OfficialDocument, Paragraph, Signature, Table
from service.documents.pdf import write_pdf
from tests.service.documents_read import pdf_text

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")  # sắc, huyền, hỏi, ngã, nặng
LOWER = " ".join("".join(unicodedata.normalize("NFC", v + t) for t in TONES) for v in VOWELS) + " đ"
EVERY_LETTER = f"{LOWER} {LOWER.upper()}"
FAMILY = "Liberation-Serif"  # fonts-liberation2: 1.07 has no Vietnamese


def _fonts(content: bytes) -> set[str]:
    """The base font of every font the pages use, without the subset tag ("ABCDEF+")."""
    names = set()
    for page in PdfReader(BytesIO(content)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            names.add(re.sub(r"^[A-Z]{6}\+", "", str(ref.get_object()["/BaseFont"]).lstrip("/")))
    return names


def test_every_letter_and_tone_is_in_the_documents_font_in_every_style() -> None:
    doc = OfficialDocument(
        parent_body=EVERY_LETTER,  # regular
        issuer=EVERY_LETTER,  # bold
        kind="KH",
        symbol="KH-BCĐ",
        number=7,
        place=EVERY_LETTER,  # italic (the date line)
        year=2026,
        signed_on=date(2026, 12, 2),
        subject=EVERY_LETTER,
        body=(
            Heading(EVERY_LETTER),
            Paragraph(EVERY_LETTER),
            Table(columns=("Chữ",), rows=((EVERY_LETTER,),)),
        ),
        signature=Signature(authority=("TM. BAN CHỈ ĐẠO", "TRƯỞNG BAN"), name=EVERY_LETTER),
        recipients=(EVERY_LETTER,),
    )
    content = write_pdf(doc)
    fonts = _fonts(content)
    assert fonts and all(name.startswith(FAMILY) for name in fonts), fonts
    assert {FAMILY, f"{FAMILY}-Bold", f"{FAMILY}-Italic"} <= fonts
    text = pdf_text(content)
    for word in EVERY_LETTER.split():
        assert word in text, word  # each letter reads back as itself, not as a look-alike

"""An official document as DOCX (python-docx), for staff to edit and print as agencies do."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from service.documents.layout import MOTTO, Block, Heading, OfficialDocument, Paragraph, Table

FONT = "Times New Roman"  # what agencies use; Liberation Serif has the same metrics


def write_docx(doc: OfficialDocument, created: datetime | None = None) -> bytes:
    out = Document()
    _page(out)
    head = out.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = head.rows[0].cells
    _width(left, Cm(6.5))
    _width(right, Cm(9.5))
    if doc.parent_body:
        _line(left.paragraphs[0], doc.parent_body, size=13)
        _line(left.add_paragraph(), doc.issuer, size=13, bold=True)
    else:
        _line(left.paragraphs[0], doc.issuer, size=13, bold=True)
    _line(left.add_paragraph(), "________", size=13, space_after=6)
    _line(left.add_paragraph(), doc.number_line, size=13)
    _line(right.paragraphs[0], MOTTO[0], size=13, bold=True)
    _line(right.add_paragraph(), MOTTO[1], size=14, bold=True)
    _line(right.add_paragraph(), "______________________", size=13, space_after=6)
    _line(right.add_paragraph(), doc.date_line, size=14, italic=True)
    _line(out.add_paragraph(), doc.kind_name, bold=True, space_before=18)
    _line(out.add_paragraph(), doc.subject, bold=True)
    _line(out.add_paragraph(), "________", space_after=6)
    _blocks(out, doc.body)
    foot = out.add_table(rows=1, cols=2)
    recipients, sign = foot.rows[0].cells
    _line(recipients.paragraphs[0], "Nơi nhận:", size=12, bold=True, italic=True, align=None)
    for i, name in enumerate(doc.recipients):
        end = "." if i == len(doc.recipients) - 1 else ";"
        _line(recipients.add_paragraph(), f"- {name}{end}", size=11, align=None, space_after=0)
    first = True
    for text in doc.signature.authority:
        _line(sign.paragraphs[0] if first else sign.add_paragraph(), text, bold=True)
        first = False
    if doc.signature.position:  # under the signature, above the name
        _line(sign.add_paragraph(), doc.signature.position, bold=True, space_before=60)
    _line(
        sign.add_paragraph(),
        doc.signature.name,
        bold=True,
        space_before=0 if doc.signature.position else 60,
    )
    for appendix in doc.appendices:  # each on a page of its own, after the signature
        label = out.add_paragraph()
        label.paragraph_format.page_break_before = True
        _line(label, appendix.label, bold=True)
        _line(out.add_paragraph(), appendix.title, bold=True)
        _line(out.add_paragraph(), doc.attached_to, italic=True)
        _line(out.add_paragraph(), "________", space_after=6)
        _blocks(out, appendix.body)
    core = out.core_properties
    core.title, core.author, core.last_modified_by = doc.subject, doc.issuer, doc.issuer
    core.comments = f"{doc.kind_name} {doc.number_line}"
    if created is not None:
        core.created = core.modified = created
    buffer = BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _blocks(out: DocxDocument, blocks: tuple[Block, ...]) -> None:
    for block in blocks:
        if isinstance(block, Heading):
            para = out.add_paragraph()
            _line(para, block.text, bold=True, align=WD_ALIGN_PARAGRAPH.LEFT, space_before=6)
        elif isinstance(block, Paragraph):
            para = out.add_paragraph()
            para.paragraph_format.first_line_indent = Cm(1.27)
            _line(para, block.text, align=WD_ALIGN_PARAGRAPH.JUSTIFY, space_after=6)
        else:
            _table(out, block)


def _page(out: DocxDocument) -> None:
    """A4 with the decree's margins; the page number at the top from page 2 on."""
    style = out.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(14)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)  # Word otherwise picks another font for some letters
    section = out.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    number._p.append(field)


def _line(
    para: DocxParagraph,
    text: str,
    *,
    size: float = 14,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.CENTER,
    space_before: float = 0,
    space_after: float = 0,
) -> None:
    if align is not None:
        para.alignment = align
    para.paragraph_format.space_before = Pt(space_before)
    para.paragraph_format.space_after = Pt(space_after)
    run = para.add_run(text)
    run.font.size, run.bold, run.italic = Pt(size), bold, italic


def _table(out: DocxDocument, block: Table) -> None:
    table = out.add_table(rows=1, cols=len(block.columns))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, block.columns, strict=True):
        _line(cell.paragraphs[0], text, size=13, bold=True)
    rows = [(row, False) for row in block.rows]
    if block.total is not None:
        rows.append((block.total, True))
    for row, bold in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, row, strict=True)):
            right = index in block.numeric
            align = WD_ALIGN_PARAGRAPH.RIGHT if right else WD_ALIGN_PARAGRAPH.LEFT
            _line(cell.paragraphs[0], text, size=13, bold=bold, align=align)
    out.add_paragraph()


def _width(cell: _Cell, width: Length) -> None:
    cell.width = width

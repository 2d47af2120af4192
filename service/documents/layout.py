"""What every official document carries (Nghị định 30/2020/NĐ-CP, Phụ lục I), kind-neutral."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from babel import Locale
from babel.numbers import format_decimal

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
# The document kinds a register numbers (a signed plan, a report, an award decision), with the
# name printed above the subject.
PLAN_KIND, REPORT_KIND, DECISION_KIND = "KH", "BC", "QĐ"
KINDS = {PLAN_KIND: "KẾ HOẠCH", REPORT_KIND: "BÁO CÁO", DECISION_KIND: "QUYẾT ĐỊNH"}


@dataclass(frozen=True)
class Box:
    """Where an appearance goes: a page (0-based) and a rectangle in PDF points, origin at the
    bottom left."""

    page: int
    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True)
class Stamp:
    """A digital signature's appearance, drawn in the signature space: "signer" (the person's, in
    blue) or "agency" (the issuing agency's, in red, over the left of the signer's)."""

    field: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    total: tuple[str, ...] | None = None  # the bold last row ("Tổng cộng")
    numeric: tuple[int, ...] = ()  # right-aligned columns


Block = Heading | Paragraph | Table


@dataclass(frozen=True)
class Appendix:
    """A Phụ lục, after the signature on a page of its own: "Phụ lục I", its title, its blocks."""

    label: str
    title: str
    body: tuple[Block, ...]


@dataclass(frozen=True)
class Signature:
    """The signing block: the authority lines ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH") and the name."""

    authority: tuple[str, ...]
    name: str  # empty on a draft
    # the signer's own office when they sign as head of another body, printed between the
    # signature and the name (seed 000: "TRƯỞNG BAN" … "CHỦ TỊCH UBND TỈNH" / "Đỗ Minh Tuấn")
    position: str = ""


@dataclass(frozen=True)
class OfficialDocument:
    parent_body: str | None  # cơ quan chủ quản, printed above the issuer
    issuer: str
    kind: str  # a key of KINDS
    symbol: str  # "KH-BCĐ"
    number: int | None  # None while a draft: "Số:    /KH-BCĐ"
    place: str  # "Thanh Hóa"
    year: int
    signed_on: date | None
    subject: str
    body: tuple[Block, ...]
    signature: Signature
    recipients: tuple[str, ...]  # Nơi nhận, "Lưu: VT, …" last
    appendices: tuple[Appendix, ...] = ()

    @property
    def attached_to(self) -> str:
        """Under an appendix's title: "(Kèm theo Kế hoạch số 1/KH-BCĐ ngày 13/7/2023 của Ban
        Chỉ đạo 138)"; blanks for the number and date of a draft."""
        number = f"{self.number if self.number is not None else '     '}/{self.symbol}"
        day = (
            f"{self.signed_on.day}/{self.signed_on.month}/{self.signed_on.year}"
            if self.signed_on is not None
            else f"     /     /{self.year}"
        )
        kind = self.kind_name.capitalize()
        return f"(Kèm theo {kind} số {number} ngày {day} của {self.issuer})"

    @property
    def number_line(self) -> str:
        return f"Số: {self.number if self.number is not None else '     '}/{self.symbol}"

    @property
    def date_line(self) -> str:
        """ "Thanh Hóa, ngày 13 tháng 7 năm 2023": a leading zero for days 1–9 and months 1–2."""
        if self.signed_on is None:
            return f"{self.place}, ngày      tháng      năm {self.year}"
        day, month = self.signed_on.day, self.signed_on.month
        month_text = f"{month:02d}" if month < 3 else str(month)
        return f"{self.place}, ngày {day:02d} tháng {month_text} năm {self.signed_on.year}"

    @property
    def kind_name(self) -> str:
        return KINDS[self.kind]


# The documents are Vietnamese whatever the reader's language. Parsed once: Babel parses a
# locale given by name on every call, which cost a signing as much as its formatting did.
VI = Locale.parse("vi")


def vnd(value: int) -> str:
    """165000000 → "165.000.000"."""
    return format_decimal(value, locale=VI)


def to_data(doc: OfficialDocument) -> dict[str, Any]:
    """The document as plain JSON data: what signing freezes and a renderer lays out later."""
    return {
        "parent_body": doc.parent_body,
        "issuer": doc.issuer,
        "kind": doc.kind,
        "symbol": doc.symbol,
        "number": doc.number,
        "place": doc.place,
        "year": doc.year,
        "signed_on": None if doc.signed_on is None else doc.signed_on.isoformat(),
        "subject": doc.subject,
        "body": [_block_data(block) for block in doc.body],
        "signature": {
            "authority": list(doc.signature.authority),
            "name": doc.signature.name,
            "position": doc.signature.position,
        },
        "recipients": list(doc.recipients),
        "appendices": [
            {"label": a.label, "title": a.title, "body": [_block_data(b) for b in a.body]}
            for a in doc.appendices
        ],
    }


def from_data(data: dict[str, Any]) -> OfficialDocument:
    """The inverse of `to_data`: from_data(to_data(doc)) == doc."""
    signed_on = data["signed_on"]
    return OfficialDocument(
        parent_body=data["parent_body"],
        issuer=data["issuer"],
        kind=data["kind"],
        symbol=data["symbol"],
        number=data["number"],
        place=data["place"],
        year=data["year"],
        signed_on=None if signed_on is None else date.fromisoformat(signed_on),
        subject=data["subject"],
        body=tuple(_block(item) for item in data["body"]),
        signature=Signature(
            tuple(data["signature"]["authority"]),
            data["signature"]["name"],
            data["signature"].get("position", ""),  # documents signed before it existed
        ),
        recipients=tuple(data["recipients"]),
        appendices=tuple(  # none in documents signed before they existed
            Appendix(a["label"], a["title"], tuple(_block(b) for b in a["body"]))
            for a in data.get("appendices", [])
        ),
    )


def _block_data(block: Block) -> dict[str, Any]:
    if isinstance(block, Heading):
        return {"heading": block.text}
    if isinstance(block, Paragraph):
        return {"paragraph": block.text}
    return {
        "table": {
            "columns": list(block.columns),
            "rows": [list(row) for row in block.rows],
            "total": None if block.total is None else list(block.total),
            "numeric": list(block.numeric),
        }
    }


def _block(data: dict[str, Any]) -> Block:
    if "heading" in data:
        return Heading(data["heading"])
    if "paragraph" in data:
        return Paragraph(data["paragraph"])
    table = data["table"]
    return Table(
        columns=tuple(table["columns"]),
        rows=tuple(tuple(row) for row in table["rows"]),
        total=None if table["total"] is None else tuple(table["total"]),
        numeric=tuple(table["numeric"]),
    )

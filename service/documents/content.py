"""What a plan or a report says, laid out as an official document: one builder per kind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent

from service.consolidation import own_part, sum_reports
from service.documents.layout import (
    VI,
    Appendix,
    Block,
    Heading,
    OfficialDocument,
    Paragraph,
    Signature,
    Table,
    vnd,
)
from service.forms import AWARD_KINDS, budget_total

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
ROUND_SUBJECTS = {"result": "Kết quả", "half_year": "Sơ kết 6 tháng", "annual": "Tổng kết năm"}
SAFETY_KINDS = {
    "residential_areas": "Khu dân cư",
    "communes": "Xã, phường, thị trấn",
    "agencies": "Cơ quan",
    "enterprises": "Doanh nghiệp",
    "schools": "Cơ sở giáo dục",
}


@dataclass(frozen=True)
class Issuer:
    """The body that issues and numbers the document, as the directory describes it."""

    name: str  # printed in capitals: "BAN CHỈ ĐẠO 138", "SỞ Y TẾ"
    parent_body: str | None  # "UBND TỈNH THANH HÓA"
    abbreviation: str | None  # "BCĐ"
    place: str  # "Thanh Hóa"
    head_title: str  # "TRƯỞNG BAN", "GIÁM ĐỐC"
    collective: str | None = None  # a collective body's "TM." line: "BAN CHỈ ĐẠO"

    def symbol(self, kind: str) -> str:
        return f"{kind}-{self.abbreviation}" if self.abbreviation else kind


@dataclass(frozen=True)
class Signing:
    """Who signed, when, under which number; None fields on a draft."""

    number: int | None
    signed_on: date | None
    signer: str
    mark: str | None  # "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH" when signed for someone
    position: str = ""  # the signer's own office, when it is not the issuing body's title


@dataclass(frozen=True)
class UnitFigures:
    """A direct unit's report as the level's report prints it: None when it has not reported."""

    name: str
    report: dict[str, Any] | None
    late: bool = False


def plan_document(
    issuer: Issuer,
    plan: dict[str, Any],
    signing: Signing,
    recipients: list[str],
    grounds: Sequence[str] = (),
) -> OfficialDocument:
    """KẾ HOẠCH: the preamble citing `grounds` ("Thực hiện …", seeds 000–004), the plan's
    sections; then, as tables, its pilot sites, its award nominations with the review's
    verdicts, the deadlines it sets its units; its budget's total. After the signature, the
    appendices: the budget in detail, and the outline of the report its units send."""
    body: list[Block] = []
    if grounds:
        body.append(Paragraph(f"Thực hiện {'; '.join(grounds)}."))
    for section in plan.get("sections", []):
        body.append(Heading(section["heading"]))
        body += _paragraphs(section["body"])
    for title, table in _plan_tables(plan):
        body += [_numbered(body, title), table]
    appendices: list[Appendix] = []
    lines = plan.get("budget_lines", [])
    if lines:
        label = f"Phụ lục {ROMAN[len(appendices)]}"
        body.append(_numbered(body, "KINH PHÍ"))
        body.append(
            Paragraph(
                f"Tổng kinh phí: {vnd(budget_total(lines))} đồng (chi tiết tại {label} kèm theo)."
            )
        )
        appendices.append(Appendix(label, "DỰ TOÁN KINH PHÍ", (_budget_table(lines),)))
    due = _report_due(plan)
    if due is not None and plan.get("addressed_units"):
        label = f"Phụ lục {ROMAN[len(appendices)]}"
        body.append(Paragraph(f"Các đơn vị báo cáo kết quả theo đề cương tại {label} kèm theo."))
        appendices.append(Appendix(label, "ĐỀ CƯƠNG BÁO CÁO KẾT QUẢ", _outline(due)))
    document = _document(issuer, "KH", plan["title"], int(plan["year"]), body, signing, recipients)
    return replace(document, appendices=tuple(appendices))


def _budget_table(lines: list[dict[str, Any]]) -> Table:
    return Table(
        columns=("TT", "Nội dung", "Số suất", "Mức (đồng)", "Thành tiền (đồng)"),
        rows=tuple(
            (
                str(i),
                line["item"],
                vnd(line["quantity"]),
                vnd(line["unit_amount"]),
                vnd(line["quantity"] * line["unit_amount"]),
            )
            for i, line in enumerate(lines, 1)
        ),
        total=("", "Tổng cộng", "", "", vnd(budget_total(lines))),
        numeric=(2, 3, 4),
    )


REPORT_DEADLINES = ("unit_report", "half_year_report", "annual_report")


def _report_due(plan: dict[str, Any]) -> str | None:
    """The first day by which the plan's units report (an ISO date), if it asks for reports."""
    dues = [d["due"] for d in plan.get("deadlines", []) if d.get("kind") in REPORT_DEADLINES]
    return min(dues) if dues else None


def _outline(due: str) -> tuple[Block, ...]:
    """Đề cương: what a unit's report holds (the figures `report_document` prints), so that
    every level's reports add up the same way."""
    awards = ", ".join(AWARD_KINDS.values())
    return (
        Heading("I. KẾT QUẢ THỰC HIỆN"),
        Paragraph(
            "1. Số Ngày hội đã tổ chức, số lượt người tham gia; địa điểm, thời gian của từng "
            "Ngày hội."
        ),
        Paragraph("2. Kết quả xếp loại “An toàn về an ninh, trật tự”:"),
        Table(
            columns=("Loại", "Tổng số", "Đạt", "Tỷ lệ"),
            rows=tuple((label, "", "", "") for label in SAFETY_KINDS.values()),
            numeric=(1, 2, 3),
        ),
        Paragraph(
            "3. Phân loại phong trào toàn dân bảo vệ ANTQ: tổng số đơn vị được phân loại, số "
            "đơn vị xếp loại Khá trở lên."
        ),
        Paragraph(f"4. Khen thưởng: số tập thể, cá nhân được khen theo từng hình thức ({awards})."),
        Paragraph("5. Kinh phí đã sử dụng (đồng)."),
        Paragraph(
            "6. Kết quả của từng đơn vị trực thuộc (nếu có), các đơn vị chưa báo cáo hoặc báo "
            "cáo muộn."
        ),
        Heading("II. ĐÁNH GIÁ CHUNG"),
        Paragraph("Ưu điểm, hạn chế, nguyên nhân; bài học kinh nghiệm; đề xuất, kiến nghị."),
        Paragraph(f"Thời hạn gửi báo cáo: trước ngày {_day(due)}."),
    )


def _numbered(body: list[Block], title: str) -> Heading:
    """The next section heading after those of `body`: "V. KINH PHÍ"."""
    count = sum(isinstance(block, Heading) for block in body)
    return Heading(f"{ROMAN[min(count, len(ROMAN) - 1)]}. {title}")


VERDICTS = {True: "Đồng ý", False: "Không đồng ý", None: "Chưa thẩm định"}


def _plan_tables(plan: dict[str, Any]) -> list[tuple[str, Table]]:
    """The plan's lists as tables, those it has: pilot sites, nominations, deadlines."""
    tables = []
    rows: tuple[tuple[str, ...], ...]
    if plan.get("pilot_sites"):
        rows = tuple(
            (str(i), site["name"], f"{_day(site['start'])} - {_day(site['end'])}")
            for i, site in enumerate(plan["pilot_sites"], 1)
        )
        tables.append(
            ("ĐIỂM TỔ CHỨC NGÀY HỘI", Table(("TT", "Đơn vị tổ chức điểm", "Thời gian"), rows))
        )
    if plan.get("nominations"):
        rows = tuple(
            (
                str(i),
                AWARD_KINDS.get(n["kind"], n["kind"]),
                n["nominee"],
                n.get("reason", ""),
                VERDICTS[n.get("accepted")],
            )
            for i, n in enumerate(plan["nominations"], 1)
        )
        columns = ("TT", "Hình thức", "Tập thể, cá nhân", "Thành tích", "Thẩm định")
        tables.append(("ĐỀ NGHỊ KHEN THƯỞNG", Table(columns, rows)))
    if plan.get("deadlines"):
        rows = tuple(
            (str(i), d["what"], f"Trước ngày {_day(d['due'])}")
            for i, d in enumerate(plan["deadlines"], 1)
        )
        tables.append(("THỜI HẠN", Table(("TT", "Nội dung", "Thời hạn"), rows)))
    return tables


def report_document(
    issuer: Issuer,
    plan_title: str,
    year: int,
    round_: str,
    report: dict[str, Any],
    signing: Signing,
    recipients: list[str],
    units: Sequence[UnitFigures] = (),
    own_label: str = "Trực tiếp tổ chức",
) -> OfficialDocument:
    """BÁO CÁO: the figures of a round's report, then (the outline of seeds 000–002) each direct
    unit's figures, the level's own (`own_label`: "Tỉnh Thanh Hóa (trực tiếp tổ chức)") and the
    total, the units that have not reported or reported late, then its narrative."""
    subject = f"{ROUND_SUBJECTS.get(round_, 'Kết quả')} {plan_title[:1].lower()}{plan_title[1:]}"
    body: list[Block] = [
        Heading("I. KẾT QUẢ THỰC HIỆN"),
        Paragraph(
            f"Số Ngày hội đã tổ chức: {vnd(report['festivals_held'])}; "
            f"số lượt người tham gia: {vnd(report['participants'])}."
        ),
    ]
    if report.get("festivals"):
        body.append(
            Table(
                columns=("TT", "Địa điểm", "Từ ngày", "Đến ngày"),
                rows=tuple(
                    (str(i), f["place"], _day(f["start"]), _day(f["end"]))
                    for i, f in enumerate(report["festivals"], 1)
                ),
            )
        )
    body.append(Paragraph("Kết quả xếp loại “An toàn về an ninh, trật tự”:"))
    body.append(
        Table(
            columns=("Loại", "Tổng số", "Đạt", "Tỷ lệ"),
            rows=tuple(
                (label, vnd(c["total"]), vnd(c["meeting"]), _share(c["meeting"], c["total"]))
                for key, label in SAFETY_KINDS.items()
                for c in [report["safety"][key]]
            ),
            numeric=(1, 2, 3),
        )
    )
    movement = report["movement"]
    body.append(
        Paragraph(
            f"Phong trào toàn dân bảo vệ ANTQ xếp loại Khá trở lên: {vnd(movement['meeting'])}/"
            f"{vnd(movement['total'])} ({_share(movement['meeting'], movement['total'])})."
        )
    )
    for award in report.get("awards", []):
        label = AWARD_KINDS.get(award["kind"], award["kind"])
        body.append(Paragraph(f"{label}: {vnd(award['count'])}."))
    body.append(Paragraph(f"Kinh phí đã sử dụng: {vnd(report['budget_spent'])} đồng."))
    sections = iter(ROMAN[1:])
    if units:
        body.append(Heading(f"{next(sections)}. KẾT QUẢ CỦA CÁC ĐƠN VỊ"))
        body += _units(units, report, own_label)
    if report.get("narrative"):
        body.append(Heading(f"{next(sections)}. ĐÁNH GIÁ CHUNG"))
        body += _paragraphs(report["narrative"])
    return _document(issuer, "BC", subject, year, body, signing, recipients)


@dataclass(frozen=True)
class Awardee:
    """An accepted nomination as a decision lists it."""

    kind: str  # a key of AWARD_KINDS
    nominee: str
    reason: str


def decision_document(
    issuer: Issuer,
    year: int,
    grounds: Sequence[str],
    awardees: Sequence[Awardee],
    executors: str,
    signing: Signing,
    recipients: list[str],
) -> OfficialDocument:
    """QUYẾT ĐỊNH khen thưởng: the deciding head's title, the grounds ("Căn cứ…", "Theo đề
    nghị…"), then Điều 1 (the awardees by kind, with their achievements), Điều 2 and Điều 3."""
    kinds = [kind for kind in AWARD_KINDS if any(a.kind == kind for a in awardees)]
    labels = " và ".join(AWARD_KINDS[kind] for kind in kinds)
    merit = (
        "có thành tích xuất sắc trong phong trào toàn dân bảo vệ an ninh Tổ quốc và tổ chức "
        f"“Ngày hội toàn dân bảo vệ an ninh Tổ quốc” năm {year}"
    )
    body: list[Block] = [Heading(f"{issuer.head_title} {issuer.name}")]
    body += [Paragraph(line) for line in grounds]
    body += [
        Heading("QUYẾT ĐỊNH:"),
        Paragraph(f"Điều 1. Tặng {labels} cho {vnd(len(awardees))} tập thể, cá nhân {merit}:"),
    ]
    for i, kind in enumerate(kinds, 1):
        if len(kinds) > 1:
            body.append(Paragraph(f"{i}. {AWARD_KINDS[kind]}:"))
        body.append(
            Table(
                columns=("TT", "Tập thể, cá nhân", "Thành tích"),
                rows=tuple(
                    (str(n), a.nominee, a.reason)
                    for n, a in enumerate((a for a in awardees if a.kind == kind), 1)
                ),
            )
        )
    body += [
        Paragraph("Điều 2. Quyết định này có hiệu lực kể từ ngày ký."),
        Paragraph(
            f"Điều 3. {executors} và các tập thể, cá nhân có tên tại Điều 1 chịu trách nhiệm "
            "thi hành Quyết định này."
        ),
    ]
    subject = f"Về việc tặng {labels} cho các tập thể, cá nhân {merit}"
    return _document(issuer, "QĐ", subject, year, body, signing, recipients)


def _units(units: Sequence[UnitFigures], report: dict[str, Any], own_label: str) -> list[Block]:
    """The table by unit ("(muộn)": reported after its deadline; "Chưa báo cáo": not yet), the
    units' sum, the level's own part and, bold, the report's total (what `/consolidated` shows
    once signed); then the units missing and late. Shares are recomputed from the counts: the
    safety share pools every kind rated, as the plans' target does (seed 004)."""
    rows: list[tuple[str, ...]] = []
    for i, unit in enumerate(units, 1):
        if unit.report is None:
            rows.append((str(i), unit.name, "Chưa báo cáo", "", "", "", ""))
            continue
        name = f"{unit.name} (muộn)" if unit.late else unit.name
        rows.append((str(i), name, *_unit_row(unit.report)))
    reported = [u.report for u in units if u.report is not None]
    if reported:
        summed = sum_reports(reported)
        rows.append(("", "Cộng các đơn vị đã báo cáo", *_unit_row(summed)))
        rows.append(("", own_label, *_unit_row(own_part(report, summed))))
    blocks: list[Block] = [
        Table(
            columns=(
                "TT",
                "Đơn vị",
                "Số Ngày hội",
                "Lượt người tham gia",
                "Kinh phí đã sử dụng (đồng)",
                "Tỷ lệ đạt an toàn về ANTT",
                "Phong trào xếp loại Khá trở lên",
            ),
            rows=tuple(rows),
            total=("", "Tổng cộng", *_unit_row(report)),
            numeric=(2, 3, 4, 5, 6),
        )
    ]
    missing = [u.name for u in units if u.report is None]
    if missing:
        blocks.append(Paragraph(f"Các đơn vị chưa báo cáo: {', '.join(missing)}."))
    late = [u.name for u in units if u.report is not None and u.late]
    if late:
        blocks.append(Paragraph(f"Các đơn vị báo cáo muộn: {', '.join(late)}."))
    reason = str(report.get("adjustment_reason", "")).strip()
    if reason:
        blocks.append(Paragraph(f"Số liệu thấp hơn báo cáo của các đơn vị, lý do: {reason}"))
    return blocks


def _unit_row(report: dict[str, Any]) -> tuple[str, ...]:
    safety = [report["safety"][kind] for kind in SAFETY_KINDS]
    movement = report["movement"]
    return (
        vnd(report["festivals_held"]),
        vnd(report["participants"]),
        vnd(report["budget_spent"]),
        _share(sum(c["meeting"] for c in safety), sum(c["total"] for c in safety)),
        _share(movement["meeting"], movement["total"]),
    )


def _document(
    issuer: Issuer,
    kind: str,
    subject: str,
    year: int,
    body: list[Block],
    signing: Signing,
    recipients: list[str],
) -> OfficialDocument:
    return OfficialDocument(
        parent_body=issuer.parent_body,
        issuer=issuer.name,
        kind=kind,
        symbol=issuer.symbol(kind),
        number=signing.number,
        place=issuer.place,
        year=year if signing.signed_on is None else signing.signed_on.year,
        signed_on=signing.signed_on,
        subject=subject,
        body=tuple(body),
        signature=Signature(_authority(issuer, signing.mark), signing.signer, signing.position),
        recipients=tuple(recipients),
    )


def _authority(issuer: Issuer, mark: str | None) -> tuple[str, ...]:
    """The lines above the signature, in the issuing body's titles (Nghị định 30, Điều 8): a
    collective body's head signs for it, "TM. BAN CHỈ ĐẠO / TRƯỞNG BAN", and so does a deputy,
    "TM. … / KT. TRƯỞNG BAN / PHÓ TRƯỞNG BAN"; a substitute (TUQ.) or an office chief by the
    head's order (TL.) signs for the head alone, above their own title. The recorded mark says
    how, not in whose titles: a vice-chairman signs a Ban Chỉ đạo's plan as its deputy head."""
    head = issuer.head_title
    collective = (f"TM. {issuer.collective}",) if issuer.collective else ()
    if mark is None:
        return (*collective, head)
    prefix, _, rest = mark.partition(". ")
    _, _, own_title = rest.partition(" / ")
    if prefix == "KT":
        return (*collective, f"KT. {head}", f"PHÓ {head}")
    return (f"{prefix}. {head}", own_title) if own_title else (f"{prefix}. {head}",)


def _paragraphs(text: str) -> list[Block]:
    return [Paragraph(line.strip()) for line in text.split("\n") if line.strip()]


def _day(iso: str) -> str:
    return format_date(date.fromisoformat(iso), "dd/MM/yyyy", locale=VI)


def _share(part: int, whole: int) -> str:
    return format_percent(part / whole, "0.0%", locale=VI) if whole > 0 else "—"

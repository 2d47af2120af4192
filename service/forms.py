"""The fields each step of the chain accepts (service.steps says which kind takes which).

Money is whole VND: integers only (`strict`), never floats or strings. Dates are ISO dates.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validates_schema

from service import validation as validate
from service.errors import Message
from service.validation import Schema

AWARD_KINDS = {
    "bang_khen_chu_tich_tinh": "Bằng khen của Chủ tịch UBND tỉnh",
    "giay_khen": "Giấy khen",
    "ky_niem_chuong": "Kỷ niệm chương “Bảo vệ an ninh Tổ quốc”",
}
MAX_VND = 10**12  # a thousand billion đồng per unit: far above any plan line
MAX_QUANTITY = 10**6  # so that quantity × unit amount stays inside a signed 64-bit integer

_text = validate.Length(min=1, max=500)


def _check_window(data: dict[str, Any]) -> None:
    if data["end"] < data["start"]:
        raise ValidationError(
            Message("end_before_start", "The end date is before the start date."), "end"
        )


class WindowSchema(Schema):
    start = validate.Date(required=True)
    end = validate.Date(required=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        _check_window(data)


class SectionSchema(Schema):
    heading = fields.String(required=True, validate=_text)
    body = fields.String(required=True, validate=validate.Length(max=50_000))


class PilotSiteSchema(WindowSchema):
    name = fields.String(required=True, validate=_text)
    agency = fields.String(load_default=None, validate=validate.Length(max=80))


class BudgetLineSchema(Schema):
    item = fields.String(required=True, validate=_text)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_QUANTITY))
    unit_amount = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_VND))


class NominationSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(AWARD_KINDS)))
    nominee = fields.String(required=True, validate=_text)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    accepted = fields.Boolean(load_default=None, allow_none=True)  # set by the award review


DEADLINE_KINDS = {
    "unit_plan": "Kế hoạch của các đơn vị",
    "award_dossier": "Hồ sơ đề nghị khen thưởng",
    "unit_report": "Báo cáo kết quả của các đơn vị",
    "half_year_report": "Báo cáo sơ kết 6 tháng của các đơn vị",
    "annual_report": "Báo cáo tổng kết năm của các đơn vị",
}


class DeadlineSchema(Schema):
    what = fields.String(required=True, validate=_text)
    due = validate.Date(required=True)
    # what the addressed units are held to; other deadlines are informative
    kind = fields.String(load_default=None, validate=validate.OneOf(list(DEADLINE_KINDS)))


class TargetsSchema(Schema):
    """What the plan holds its units to, in percent (seed 004: "từ 80% trở lên" of units rated
    safe, "trên 80%" of the movement rated Khá or better)."""

    safety_at_least = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 100)
    )
    movement_above = fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=validate.Range(0, 100)
    )


class GroundSchema(Schema):
    """A document the plan cites in its preamble: "Kế hoạch số 79/KH-BCĐ ngày 26/4/2023 của …"."""

    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class PlanSchema(Schema):
    """The plan as the standing body drafts it (seed 000 carries every field)."""

    title = fields.String(required=True, validate=_text)
    year = fields.Integer(required=True, strict=True, validate=validate.Year(2000, 2100))
    # the preamble's citations; none: those of the campaign (service.operations.documents)
    grounds = fields.List(
        fields.Nested(GroundSchema), load_default=list, validate=validate.Length(max=20)
    )
    window = fields.Nested(WindowSchema, required=True)
    sections = fields.List(fields.Nested(SectionSchema), load_default=list)
    pilot_sites = fields.List(fields.Nested(PilotSiteSchema), load_default=list)
    budget_lines = fields.List(fields.Nested(BudgetLineSchema), load_default=list)
    nominations = fields.List(fields.Nested(NominationSchema), load_default=list)
    addressed_units = fields.List(fields.String(validate=validate.Length(1, 80)), load_default=list)
    deadlines = fields.List(fields.Nested(DeadlineSchema), load_default=list)
    targets = fields.Nested(TargetsSchema, load_default=None, allow_none=True)
    # the body it is issued as, by its symbol (KH-BCĐ, KH-UBND): one its signing agency issues
    # as (service.operations.documents.issuer_choices); none: the agency's default
    issuer = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 20))

    @validates_schema
    def _within_its_year(self, data: dict[str, Any], **_: Any) -> None:
        year, window = data["year"], data["window"]
        if not window["start"].year == year == window["end"].year:
            raise ValidationError(
                Message(
                    "period_outside_year",
                    "The period must lie within the year %(year)s.",
                    year=year,
                ),
                "window",
            )

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        # a plan may be all deadlines (a unit's plan for its level); with none of these it
        # says nothing beyond its title and period
        if not any(data[k] for k in ("sections", "budget_lines", "addressed_units", "deadlines")):
            raise ValidationError(
                Message(
                    "empty_plan",
                    "The plan is empty: write a section, a budget line or an addressed unit.",
                ),
                "sections",
            )


class FinanceAppraisalSchema(Schema):
    """Finance may replace the budget lines; the history records each changed figure."""

    budget_lines = fields.List(fields.Nested(BudgetLineSchema))


class AwardReviewSchema(Schema):
    """Home Affairs may replace the nominations, marking each accepted or not."""

    nominations = fields.List(fields.Nested(NominationSchema))


class SignSchema(Schema):
    pass


class CountSchema(Schema):
    """How many units of a kind there are, and how many meet the standard."""

    total = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**7))
    meeting = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**7))

    @validates_schema
    def _at_most_all(self, data: dict[str, Any], **_: Any) -> None:
        if data["meeting"] > data["total"]:
            raise ValidationError(
                Message("above_total", "Cannot exceed the total (a share above 100%)."), "meeting"
            )


class SafetySchema(Schema):
    """Units rated “An toàn về an ninh, trật tự” (Thông tư 124/2021/TT-BCA), by kind."""

    residential_areas = fields.Nested(CountSchema, required=True)
    communes = fields.Nested(CountSchema, required=True)
    agencies = fields.Nested(CountSchema, required=True)
    enterprises = fields.Nested(CountSchema, required=True)
    schools = fields.Nested(CountSchema, required=True)


class FestivalSchema(WindowSchema):
    place = fields.String(required=True, validate=_text)


class AwardCountSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(list(AWARD_KINDS)))
    count = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**6))


class ReportSchema(Schema):
    """A unit's result report, following the outline (đề cương) attached to the plan."""

    festivals_held = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**6))
    festivals = fields.List(fields.Nested(FestivalSchema), load_default=list)
    participants = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**9))
    safety = fields.Nested(SafetySchema, required=True)
    # movement classification (Quyết định 510/QĐ-BCA-V05): “Khá” or better among those rated
    movement = fields.Nested(CountSchema, required=True)
    awards = fields.List(fields.Nested(AwardCountSchema), load_default=list)
    budget_spent = fields.Integer(required=True, strict=True, validate=validate.Range(0, MAX_VND))
    narrative = fields.String(load_default="", validate=validate.Length(max=50_000))
    # why a figure is below what the units reported together (service.consolidation)
    adjustment_reason = fields.String(load_default="", validate=validate.Length(max=5000))


def budget_total(lines: list[dict[str, Any]]) -> int:
    return sum(line["quantity"] * line["unit_amount"] for line in lines)

"""Request and response shapes of the API (the step forms themselves are in service.steps)."""

from __future__ import annotations

from marshmallow import INCLUDE, fields

from service import validation as validate
from service.db.base import MAX_ID
from service.queries.process_list import FilterSchema
from service.states import DocumentState, IncidentState, TaskState
from service.validation import Schema


def _due_at() -> fields.DateTime:
    return fields.DateTime(
        allow_none=True,
        metadata={
            "description": "the instant it falls due; a dated deadline “trước ngày D” falls due "
            "at 00:00 of D, Vietnam time (UTC+7)"
        },
    )


def _last_day() -> fields.Date:
    return fields.Date(
        allow_none=True,
        metadata={
            "description": "the last day to act, Vietnam time: the day before `due_at`'s day "
            "when it falls due at midnight (“hết ngày …”); null without a deadline"
        },
    )


class ErrorSchema(Schema):
    """Every error answer, as the spec documents it (flask-smorest's, plus our `error` code and
    the parameters some errors carry)."""

    class Meta:
        unknown = INCLUDE  # e.g. a conflict's `current_version`

    code = fields.Integer(metadata={"description": "HTTP status code"})
    status = fields.String(metadata={"description": "HTTP status name"})
    error = fields.String(metadata={"description": "what went wrong, e.g. not_your_task"})
    message = fields.String(metadata={"description": "the same in words"})
    errors = fields.Dict(metadata={"description": "bad input: the reasons for each field"})
    codes = fields.List(
        fields.Dict(),
        metadata={
            "description": "bad input, coded: one {field, code, params} per reason, e.g. "
            '{"field": "data.budget_lines[2].unit_amount", "code": "negative", "params": {}}'
        },
    )


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(1, 80))
    password = fields.String(required=True, validate=validate.Length(1, 1000))
    otp = fields.String(
        load_default=None,
        validate=validate.Length(1, 32),
        metadata={"description": "the 6-digit code or a recovery code, for users who need one"},
    )


class TokenSchema(Schema):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class HealthSchema(Schema):
    status = fields.String(metadata={"enum": ["ok", "unavailable"]})
    database = fields.String(metadata={"enum": ["ok", "unreachable"]})


class MeSchema(Schema):
    id = fields.Integer(attribute="user_id")
    username = fields.String()
    full_name = fields.String()
    agency = fields.Function(lambda a: {"id": a.agency_id, "name": a.agency_name})
    roles = fields.Function(lambda a: sorted(a.roles))


class AgencyRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class IssuerSchema(Schema):
    agency = fields.String(allow_none=True, metadata={"description": "the issuing agency"})
    signer = fields.String(allow_none=True, metadata={"description": "who signed, if known"})
    signing_mark = fields.String(allow_none=True, metadata={"example": "KT. CHỦ TỊCH"})


class DocumentRefSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    number = fields.Integer()
    symbol = fields.String(metadata={"example": "KH-BCĐ"})
    number_line = fields.String(metadata={"example": "Số: 180/KH-BCĐ"})
    year = fields.Integer()


class AwardDecisionRefSchema(DocumentRefSchema):
    """A plan's award decision (QĐ khen thưởng), as the units the plan addressed read it."""

    subject = fields.String(metadata={"description": "trích yếu"})
    signed_on = fields.Date()
    signer = fields.String()
    signing_mark = fields.String(allow_none=True, metadata={"example": "KT. CHỦ TỊCH"})
    state = fields.String(metadata={"enum": ["rendering", "ready", "failed"]})


class UnitDeadlineSchema(Schema):
    kind = fields.String(metadata={"example": "unit_report"})
    what = fields.String(allow_none=True, metadata={"description": "as the plan words it"})
    due = fields.String(metadata={"format": "date", "description": "as the plan dates it"})
    last_day = fields.String(metadata={"format": "date", "description": "the last day to act"})


class IssuedPlanSchema(Schema):
    """An issued plan in brief, as the units it addressed read it."""

    id = fields.Integer()
    title = fields.String()
    issued_at = fields.DateTime(allow_none=True)
    issuer = fields.Nested(IssuerSchema)
    documents = fields.List(
        fields.Nested(DocumentRefSchema), metadata={"description": "the signed plan (KH)"}
    )
    award_decision = fields.Nested(
        AwardDecisionRefSchema, allow_none=True, metadata={"description": "once issued"}
    )
    unit_deadlines = fields.List(
        fields.Nested(UnitDeadlineSchema),
        metadata={"description": "the deadlines that bind the unit reading it"},
    )


class TaskSchema(Schema):
    id = fields.Integer()
    process_id = fields.Integer()
    process_title = fields.String()
    step = fields.String()
    form = fields.String(metadata={"description": "the step form it takes"})
    report_round = fields.String(allow_none=True)
    name = fields.String()
    role = fields.String()
    agency = fields.Nested(AgencyRefSchema)
    state = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    due_at = _due_at()
    last_day = _last_day()
    deadline_state = fields.String()
    claimed_by = fields.String(allow_none=True)
    claimed_by_id = fields.Integer(allow_none=True)
    on_behalf_of = fields.String(allow_none=True)
    signing_mark = fields.String(allow_none=True)
    acting_as = fields.String(
        metadata={"description": "self, deputy (KT.), by_order (TL.) or substitute"}
    )


class ProposedChangeSchema(Schema):
    path = fields.String(metadata={"description": "e.g. budget_lines[1].unit_amount"})
    current = fields.Raw(allow_none=True, metadata={"description": "what the plan holds"})
    proposed = fields.Raw(allow_none=True, metadata={"description": "what the reviewer proposes"})


class ProposalSchema(Schema):
    by = fields.String(allow_none=True)
    agency = fields.String()
    step = fields.String()
    comment = fields.String(allow_none=True)
    at = fields.DateTime()
    changes = fields.List(fields.Nested(ProposedChangeSchema))


class UnitReportSchema(Schema):
    process_id = fields.Integer()
    unit = fields.String()
    late = fields.Boolean()
    report = fields.Dict(allow_none=True, metadata={"description": "null: not reported yet"})


class TaskDetailSchema(TaskSchema):
    document = fields.Dict()
    parent = fields.Nested(
        IssuedPlanSchema,
        allow_none=True,
        metadata={"description": "the plan that addressed this unit, with its deadlines"},
    )
    reports = fields.Dict(metadata={"description": "the unit's reports so far, by round"})
    report_drafts = fields.Dict(
        metadata={"description": "reports submitted and waiting for the head's signature, by round"}
    )
    units = fields.List(
        fields.Nested(UnitReportSchema),
        metadata={"description": "a report step: each direct unit, late or not, and its report"},
    )
    units_sum = fields.Dict(
        allow_none=True,
        metadata={"description": "a report step: the direct units' reports added up"},
    )
    previous = fields.Nested(TaskSchema, allow_none=True)
    proposal = fields.Nested(
        ProposalSchema,
        allow_none=True,
        metadata={"description": "a returned plan: the changes its reviewer proposed, unapplied"},
    )


class TaskListArgsSchema(Schema):
    state = fields.String(load_default=TaskState.OPEN, validate=validate.OneOf(list(TaskState)))
    process = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    overdue = fields.Boolean(load_default=None, metadata={"description": "only overdue tasks"})
    step = fields.String(load_default=None, validate=validate.Length(1, 100))
    q = fields.String(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={"description": "plan titles holding every word, ignoring diacritics"},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, MAX_ID))
    by = fields.String(
        load_default="agency",
        validate=validate.OneOf(["agency", "me"]),
        metadata={"description": "me: the tasks the caller completed (with state=completed)"},
    )


class DraftFieldsSchema(Schema):
    inputs = fields.List(  # `fields` is the schema's own attribute: named so only outside
        fields.Tuple((fields.String(validate=validate.Length(1, 200)), fields.String())),
        required=True,
        data_key="fields",
        attribute="fields",
        metadata={
            "description": "the form's inputs as typed, unchecked: [name, value] pairs in the "
            "page form's names (`data.budget_lines.0.item`, `comment`); a name may repeat"
        },
    )


class DraftSchema(DraftFieldsSchema):
    task_id = fields.Integer()
    errors = fields.Dict(
        allow_none=True, metadata={"description": "why the last send was refused, if it was"}
    )
    saved_at = fields.DateTime()
    saved_by = fields.String(metadata={"description": "the full name of who saved it last"})


class CompletedSchema(Schema):
    task_id = fields.Integer()
    process_id = fields.Integer(attribute="instance_id")
    status = fields.String()
    next_steps = fields.List(fields.String())
    document_id = fields.Integer(
        allow_none=True, metadata={"description": "a signing: the document it issued"}
    )
    document_number = fields.Integer(
        allow_none=True, metadata={"description": "its number in the register (12 of 12/KH-BCĐ)"}
    )
    document_symbol = fields.String(allow_none=True, metadata={"description": "KH-BCĐ"})
    units_reached = fields.Integer(
        allow_none=True,
        metadata={"description": "a plan: the units it started; a report: 1 when sent up"},
    )


class CopyLastYearSchema(Schema):
    definition = fields.String(load_default="plan_chain", validate=validate.Length(1, 100))


class StartProcessSchema(Schema):
    definition = fields.String(required=True, validate=validate.Length(1, 100))
    title = fields.String(required=True, validate=validate.Length(1, 500))


class ProcessTaskSchema(Schema):
    id = fields.Integer()
    step = fields.String()
    name = fields.String()
    role = fields.String()
    agency = fields.String()
    state = fields.String()
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)
    due_at = _due_at()
    last_day = _last_day()
    deadline_state = fields.String()


class IssuingSchema(Schema):
    issued = fields.Integer(metadata={"description": "units whose process has started"})
    total = fields.Integer(metadata={"description": "units the plan addressed"})


class ProcessSchema(Schema):
    """A process. A unit that a plan above addressed reads that plan as issued only
    (`reading` = issued_plan): id, title, jurisdiction, parent_id, parent, issued_at, issuer,
    documents, award_decision, unit_deadlines and document; never its tasks, history, reports
    or units."""

    id = fields.Integer()
    title = fields.String()
    reading = fields.String(
        metadata={
            "enum": ["full", "issued_plan"],
            "description": "full: takes part or oversees; issued_plan: a unit it addressed",
        }
    )
    status = fields.String()
    definition = fields.Dict()
    jurisdiction = fields.Nested(AgencyRefSchema)
    parent_id = fields.Integer(allow_none=True)
    parent = fields.Nested(
        IssuedPlanSchema,
        allow_none=True,
        metadata={"description": "the plan that addressed this unit, with its deadlines"},
    )
    issuer = fields.Nested(IssuerSchema, metadata={"description": "issued_plan only"})
    documents = fields.List(
        fields.Nested(DocumentRefSchema), metadata={"description": "issued_plan only"}
    )
    award_decision = fields.Nested(
        AwardDecisionRefSchema,
        allow_none=True,
        metadata={"description": "issued_plan only: its award decision (QĐ), once issued"},
    )
    unit_deadlines = fields.List(
        fields.Nested(UnitDeadlineSchema),
        metadata={"description": "issued_plan only: what the plan holds its units to"},
    )
    bindings = fields.Dict(keys=fields.String(), values=fields.Integer())
    deadlines = fields.Dict()
    started_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)
    issuing = fields.Nested(
        IssuingSchema,
        allow_none=True,
        metadata={"description": "while the worker issues the plan to its units (else null)"},
    )
    completed_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    document = fields.Dict()
    reports = fields.Dict(metadata={"description": "the unit's own reports, by round"})
    tasks = fields.List(fields.Nested(ProcessTaskSchema))


class OpenStepSchema(Schema):
    task_id = fields.Integer()
    name = fields.String()
    due_at = _due_at()
    last_day = _last_day()
    deadline_state = fields.String()


class ChildSchema(Schema):
    process_id = fields.Integer()
    unit = fields.String()
    status = fields.String()
    reported = fields.List(fields.String(), metadata={"description": "rounds reported"})
    open_steps = fields.List(fields.Nested(OpenStepSchema))


class MissingUnitSchema(Schema):
    process_id = fields.Integer()
    unit = fields.String()
    under = fields.String(allow_none=True)


class ShareSchema(Schema):
    total = fields.Integer()
    meeting = fields.Integer()
    share = fields.Float(allow_none=True)


class RoundArgsSchema(Schema):
    round = fields.String(
        load_default=None,
        validate=validate.Length(1, 40),
        metadata={"description": "report round; default: the plan's first"},
    )


class ReportFiguresSchema(Schema):
    festivals_held = fields.Integer()
    participants = fields.Integer()
    budget_spent = fields.Integer()
    awards = fields.Dict(keys=fields.String(), values=fields.Integer())
    safety = fields.Dict(keys=fields.String(), values=fields.Nested(ShareSchema))
    movement = fields.Nested(ShareSchema)
    targets_missed = fields.List(
        fields.String(), metadata={"description": "the plan's targets these figures miss"}
    )


class UnitFiguresSchema(Schema):
    process_id = fields.Integer()
    unit = fields.String()
    late = fields.Boolean(metadata={"description": "reported after its deadline"})
    figures = fields.Nested(
        ReportFiguresSchema, allow_none=True, metadata={"description": "null: not yet"}
    )


class ConsolidatedSchema(ReportFiguresSchema):
    """The level's figures: as signed once it has reported (`signed`), else the sum of its
    direct units' reports. A unit's report already holds its own units', so none is counted
    twice."""

    process_id = fields.Integer()
    round = fields.String()
    signed = fields.Boolean()
    units = fields.Integer(metadata={"description": "direct units addressed"})
    reported = fields.Integer(metadata={"description": "direct units that reported"})
    by_unit = fields.List(fields.Nested(UnitFiguresSchema))
    missing = fields.List(fields.Nested(MissingUnitSchema), metadata={"description": "any depth"})


class EventSchema(Schema):
    id = fields.Integer()
    seq = fields.Integer()
    action = fields.String()
    task_id = fields.Integer(allow_none=True)
    role = fields.String(allow_none=True)
    actor = fields.Dict(allow_none=True)
    agency = fields.String(allow_none=True)
    data = fields.Dict()
    created_at = fields.DateTime()
    prev_hash = fields.String(metadata={"description": "hash of the process's previous event"})
    hash = fields.String(metadata={"description": "SHA-256 over this event and prev_hash"})


class DefinitionSchema(Schema):
    id = fields.Integer()
    process_id = fields.String()
    version = fields.Integer()
    name = fields.String()
    filename = fields.String()
    sha256 = fields.String()
    roles = fields.List(fields.String())
    deployed_at = fields.DateTime()


class InboxCountsSchema(Schema):
    open = fields.Integer()
    overdue = fields.Integer()


class DelegationRequestSchema(Schema):
    substitute = fields.String(required=True, validate=validate.Length(1, 80))
    starts = validate.Date(required=True)
    ends = validate.Date(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["TUQ", "KT"]))


class DelegationSchema(Schema):
    id = fields.Integer()
    grantor = fields.String()
    substitute = fields.String()
    substitute_username = fields.String()
    kind = fields.String()
    starts = fields.Date()
    ends = fields.Date()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    active = fields.Boolean()
    granted_by_me = fields.Boolean()


class CampaignArgsSchema(Schema):
    campaign = fields.Integer(required=True, metadata={"description": "the plan's process id"})


class AgencyArgsSchema(CampaignArgsSchema):
    sort = fields.String(
        load_default="wait_p90",
        metadata={"description": "wait_p90, wait_p50, open, overdue, returns or agency"},
    )


class UnitArgsSchema(CampaignArgsSchema):
    show = fields.String(
        data_key="only", load_default="all", metadata={"description": "all, late or missing"}
    )


class TrendArgsSchema(CampaignArgsSchema):
    start = validate.Date(data_key="from", load_default=None)
    end = validate.Date(data_key="to", load_default=None)


class CampaignSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    started_at = fields.DateTime()


class FiguresSchema(Schema):
    key = fields.Raw(metadata={"description": "the step id or the agency id"})
    name = fields.String()
    open = fields.Integer()
    overdue = fields.Integer()
    returns = fields.Integer(metadata={"description": "round trips: returned at this step"})
    done = fields.Integer()
    wait_p50 = fields.Integer(allow_none=True, metadata={"description": "working days"})
    wait_p90 = fields.Integer(allow_none=True, metadata={"description": "working days"})


class WaitingTaskSchema(Schema):
    task_id = fields.Integer()
    step = fields.String()
    agency = fields.String()
    process_id = fields.Integer()
    title = fields.String()
    created_at = fields.DateTime()
    waited = fields.Integer(metadata={"description": "working days"})
    due_at = _due_at()
    last_day = _last_day()
    deadline_state = fields.String()


class AgencyFiguresSchema(Schema):
    agencies = fields.List(fields.Nested(FiguresSchema))
    longest_waiting = fields.List(fields.Nested(WaitingTaskSchema))


class BelowSchema(Schema):
    """How many units below (at any depth) sent their plan, had it approved, reported, were
    late, or miss their report."""

    units = fields.Integer()
    plan_submitted = fields.Integer()
    plan_approved = fields.Integer()
    reported = fields.Integer()
    late = fields.Integer()
    missing = fields.Integer()


class UnitProgressSchema(Schema):
    process_id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    depth = fields.Integer()
    unit = fields.String()
    status = fields.String()
    plan_submitted = fields.Boolean()
    plan_approved = fields.Boolean()
    reported = fields.Boolean()
    report_due = fields.String(
        allow_none=True,
        metadata={"description": "the report's deadline as the plan writes it: before this day"},
    )
    report_last_day = _last_day()
    late = fields.Boolean()
    missing = fields.Boolean()
    overdue_open = fields.Integer(metadata={"description": "open tasks past due: to remind"})
    below = fields.Nested(BelowSchema)


class TrendDaySchema(Schema):
    day = fields.Date()
    opened = fields.Integer()
    closed = fields.Integer()
    overdue = fields.Integer()


class StepTookSchema(Schema):
    step = fields.String()
    name = fields.String()
    took_p50 = fields.Integer(allow_none=True, metadata={"description": "working days"})
    done = fields.Integer()


class CycleNameSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    unit = fields.String()


class CycleSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    year = fields.Integer()
    units = fields.Integer()
    plans_approved = fields.Integer()
    reports = fields.Integer()
    report_tasks = fields.Integer()
    returns = fields.Integer()
    done_late = fields.Integer()
    overdue = fields.Integer()
    cycles = fields.List(
        fields.Nested(CycleNameSchema),
        metadata={
            "description": "the cycles these figures sum: last year's of the same level and "
            "of the levels merged into it since (its own first)"
        },
    )
    steps = fields.List(fields.Nested(StepTookSchema))


class CompareSchema(Schema):
    campaign = fields.Nested(CycleSchema)
    previous = fields.Nested(CycleSchema, allow_none=True)


class DocumentSchema(Schema):
    """A signed document: its number in the issuer's register and the hashes of its files."""

    id = fields.Integer()
    process_id = fields.Integer()
    kind = fields.String(
        metadata={"description": "KH (kế hoạch), BC (báo cáo) or QĐ (quyết định khen thưởng)"}
    )
    number = fields.Integer()
    symbol = fields.String(metadata={"example": "KH-BCĐ"})
    number_line = fields.String(metadata={"example": "Số: 180/KH-BCĐ"})
    year = fields.Integer()
    subject = fields.String()
    issuer = fields.String(metadata={"description": "the agency whose register numbered it"})
    issued_as = fields.List(
        fields.String(),
        metadata={
            "description": "the issuer as the document's header prints it: the parent body, "
            "then the issuing body",
            "example": ["UBND TỈNH THANH HÓA", "BAN CHỈ ĐẠO 138"],
        },
    )
    signed_at = fields.DateTime()
    signed_by = fields.String()
    signing_mark = fields.String(allow_none=True)
    state = fields.String(
        metadata={
            "enum": list(DocumentState),
            "description": "rendering: numbered and signed, its files are being prepared "
            "(seconds); ready: both files and their hashes are there; failed: rendering failed",
        }
    )
    docx_sha256 = fields.String(allow_none=True, metadata={"description": "null until ready"})
    pdf_sha256 = fields.String(allow_none=True, metadata={"description": "null until ready"})


class DocumentPendingSchema(Schema):
    """A document whose files are not ready: being prepared, or their rendering failed."""

    id = fields.Integer()
    state = fields.String(metadata={"enum": [DocumentState.RENDERING, DocumentState.FAILED]})
    message = fields.String()


class DocumentCheckSchema(Schema):
    """Whether an uploaded file is a signed document, byte for byte."""

    sha256 = fields.String()
    matches = fields.Boolean()
    format = fields.String(metadata={"description": "docx or pdf, when it matches"})
    recorded = fields.Boolean(
        metadata={"description": "the audit log recorded this very hash when it was rendered"}
    )
    document = fields.Nested(DocumentSchema, allow_none=True)
    signatures = fields.List(
        fields.Nested(lambda: SignatureCheckSchema()),
        metadata={"description": "each digital signature of a PDF, checked (PAdES)"},
    )


class SignatureCheckSchema(Schema):
    """One digital signature of a PDF, checked against the configured trust roots."""

    field = fields.String(metadata={"description": "signer (the person) or agency"})
    signer = fields.String(metadata={"description": "the certificate's common name"})
    organisation = fields.String()
    signed_at = fields.DateTime(allow_none=True)
    intact = fields.Boolean(metadata={"description": "the bytes it covers are those it signed"})
    valid = fields.Boolean(metadata={"description": "the cryptography holds"})
    trusted = fields.Boolean(metadata={"description": "its certificate chains to a trust root"})
    whole_file = fields.Boolean(metadata={"description": "nothing but signatures added after it"})
    revoked = fields.Boolean(metadata={"description": "its certificate is on a revocation list"})
    timestamped_at = fields.DateTime(
        allow_none=True,
        metadata={"description": "the time an RFC 3161 timestamp attests, when it holds"},
    )
    timestamp_trusted = fields.Boolean(
        metadata={"description": "the timestamp authority chains to a trust root"}
    )
    ok = fields.Boolean()
    problem = fields.String(metadata={"description": "why it could not be checked at all"})


class IncidentListArgsSchema(Schema):
    state = fields.Enum(IncidentState, by_value=True, load_default=IncidentState.OPEN)


class IncidentSchema(Schema):
    """A start or completion whose diagram script failed (service.operations.incidents)."""

    id = fields.Integer()
    process_id = fields.Integer(allow_none=True, metadata={"description": "none: a start"})
    process_title = fields.String(allow_none=True)
    definition = fields.String(metadata={"example": "plan_chain"})
    version = fields.Integer(metadata={"description": "the diagram's version that failed"})
    operation = fields.String(metadata={"enum": ["start", "complete"]})
    step = fields.String(allow_none=True, metadata={"description": "the element that failed"})
    error = fields.String(metadata={"example": "script_failed"})
    reason = fields.String(
        metadata={"example": "script exceeded its time budget of 200 ms"},
    )
    occurrences = fields.Integer()
    state = fields.String(metadata={"enum": list(IncidentState)})
    created_at = fields.DateTime()
    last_at = fields.DateTime()
    triggered_by = fields.String(metadata={"description": "the username whose action failed"})
    from_version = fields.Integer(metadata={"description": "after a retry"})
    to_version = fields.Integer(metadata={"description": "after a retry: the version it runs"})


class AwardeeSchema(Schema):
    kind = fields.String(metadata={"example": "bang_khen_chu_tich_tinh"})
    nominee = fields.String()
    reason = fields.String()


class ForwardedAwardSchema(Schema):
    kind = fields.String(metadata={"example": "ky_niem_chuong"})
    nominee = fields.String()
    goes_to = fields.String(
        metadata={
            "enum": ["ministry", "other_level"],
            "description": "ministry: the dossier goes to the Ministry of Public Security (seed "
            "002); other_level: the head of another level decides it (a Giấy khen on the "
            "province's plan: the district's or department's head)",
        }
    )


class AwardDecisionSchema(Schema):
    """A signed plan's award decision: what it covers and whether the caller may issue it."""

    signed = fields.Boolean(metadata={"description": "the plan is signed"})
    awardees = fields.List(fields.Nested(AwardeeSchema))
    elsewhere = fields.List(fields.Nested(ForwardedAwardSchema))
    decision_id = fields.Integer(allow_none=True, metadata={"description": "its document"})
    may_issue = fields.Boolean()


class AssignTaskSchema(Schema):
    assignee = fields.String(
        required=True, metadata={"description": "the colleague's username", "example": "a.nguyen"}
    )


class ProcessListArgsSchema(FilterSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, MAX_ID))


class WaitingStepSchema(Schema):
    step = fields.String()
    name = fields.String()
    agency = fields.String()
    deadline_state = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)


class ProcessListItemSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    reading = fields.String(metadata={"description": "full, or issued_plan: the plan alone"})
    unit = fields.Nested(AgencyRefSchema)
    year = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    status = fields.String(
        metadata={"description": "running, completed, cancelled; issued for an issued_plan"}
    )
    started_at = fields.DateTime()
    issued_at = fields.DateTime(allow_none=True)
    documents = fields.List(fields.String(), metadata={"description": "e.g. 1/KH-BCĐ"})
    open_steps = fields.List(fields.Nested(WaitingStepSchema))
    overdue = fields.Boolean()

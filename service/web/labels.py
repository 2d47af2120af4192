"""What things are called on the pages: steps, roles, decisions, states, events, fields,
choices, errors; and the reasons a field is wrong, worded by their msgid.

English msgids, Vietnamese by default (`service/translations/vi`), keyed by the codes the
service uses; a code without a label is shown as it is.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext

from service.errors import Message
from service.forms import AWARD_KINDS, DEADLINE_KINDS
from service.permissions import Role
from service.states import DeadlineState, ProcessStatus
from service.steps import KINDS
from service.web.formats import ISO_DATE, number, vn_date

# Step names by kind (service.steps), and the movement plan's report steps by their own ids.
STEPS = {key: lazy_gettext(kind.label) for key, kind in KINDS.items()} | {
    "report_half_year": lazy_gettext("Half-year report"),
    "report_annual": lazy_gettext("Annual report"),
    "sign_half_year": lazy_gettext("Sign the half-year report"),
    "sign_annual": lazy_gettext("Sign the annual report"),
    # the diagrams' receive tasks: the level waits for its units
    "await_reports": lazy_gettext("Waiting for the units' reports"),
    "await_half_year": lazy_gettext("Waiting for the units' half-year reports"),
    "await_annual": lazy_gettext("Waiting for the units' annual reports"),
}
PROCESSES = {  # the diagrams' own names are Vietnamese
    "plan_chain": lazy_gettext("Security Festival plan"),
    "movement_plan": lazy_gettext("Plan for the movement to protect national security"),
}
# the diagrams' events, gateways, flows and pools by their Vietnamese names (static/js/diagram.js)
DIAGRAM_NAMES = {
    "Kế hoạch Ngày hội toàn dân bảo vệ ANTQ": PROCESSES["plan_chain"],
    "Kế hoạch thực hiện phong trào toàn dân bảo vệ ANTQ": PROCESSES["movement_plan"],
    "Bắt đầu": lazy_gettext("Start"),
    "Hoàn thành": lazy_gettext("Done"),
    "Có cơ quan tài chính?": lazy_gettext("A finance agency?"),
    "Có cơ quan nội vụ?": lazy_gettext("An awards agency?"),
    "Kết quả thẩm định kinh phí": lazy_gettext("Budget appraisal result"),
    "Kết quả thẩm định khen thưởng": lazy_gettext("Award review result"),
    "Kết quả ký ban hành": lazy_gettext("Signing result"),
    "Kết quả ký báo cáo": lazy_gettext("Report signing result"),
    "Hết hạn báo cáo": lazy_gettext("Report deadline passed"),
    "Hết hạn báo cáo 6 tháng": lazy_gettext("Half-year report deadline passed"),
    "Hết hạn báo cáo năm": lazy_gettext("Annual report deadline passed"),
    "Có": lazy_gettext("Yes"),
    "Không": lazy_gettext("No"),
    "Trả lại": lazy_gettext("Return"),
    "Đồng ý": lazy_gettext("Approve"),
    "Đủ báo cáo": lazy_gettext("All reports in"),
    "Quá hạn": lazy_gettext("Overdue"),
}
ROLES: dict[str, Any] = {  # keyed by the rights table's roles
    Role.STANDING_BODY: lazy_gettext("Standing body"),
    Role.FINANCE: lazy_gettext("Finance"),
    Role.HOME_AFFAIRS: lazy_gettext("Emulation and awards"),
    Role.CHAIRMAN: lazy_gettext("Chairman"),
    Role.VICE_CHAIRMAN: lazy_gettext("Vice-chairman"),
    Role.OFFICE_CHIEF: lazy_gettext("Office chief"),
    Role.UNIT: lazy_gettext("Unit"),
    Role.SUPERVISOR: lazy_gettext("Supervisor"),
    Role.AUDITOR: lazy_gettext("Inspector"),
    Role.ADMIN: lazy_gettext("Administrator"),
    Role.SYSTEM: lazy_gettext("Command line"),
}
DECISIONS = {
    "submit": lazy_gettext("Submitted"),
    "approve": lazy_gettext("Approved"),
    "return": lazy_gettext("Returned"),
}
ACTIONS = {
    "process_started": lazy_gettext("Started the process"),
    "task_completed": lazy_gettext("Completed a step"),
    "plan_issued": lazy_gettext("Issued the plan to the units"),
    "document_issued": lazy_gettext("Numbered and issued the document"),
    "document_rendered": lazy_gettext("Prepared the document's files (DOCX, PDF)"),
    "document_failed": lazy_gettext("The document's files could not be prepared"),
    "units_reported": lazy_gettext("All units have reported"),
    "timer_fired": lazy_gettext("The reporting deadline passed"),
    "process_completed": lazy_gettext("Process completed"),
    "task_claimed": lazy_gettext("Took the task in hand"),
    "task_released": lazy_gettext("Released the task"),
    "delegation_granted": lazy_gettext("Named a substitute"),
    "delegation_revoked": lazy_gettext("Ended a substitution"),
    "notifications_read": lazy_gettext("Marked notifications as read"),
    "definition_deployed": lazy_gettext("Deployed a diagram"),
    "second_factor_enrolled": lazy_gettext("Set up a second factor"),
    "user_disabled": lazy_gettext("Disabled a user"),
    "register_set": lazy_gettext("Set a register's next number"),
    "incident_opened": lazy_gettext("A script of the diagram failed (incident)"),
    "incident_retried": lazy_gettext("Retried the failed step on the corrected diagram"),
    "process_cancelled": lazy_gettext("Cancelled the process"),
    "password_changed": lazy_gettext("Changed a user's password"),
    "sessions_ended": lazy_gettext("Ended a user's sessions"),
    "task_reminded": lazy_gettext("Sent a reminder"),
    "task_assigned": lazy_gettext("Assigned the task to a colleague"),
    "comment_added": lazy_gettext("Commented"),
    "file_attached": lazy_gettext("Attached a file"),
    "agency_created": lazy_gettext("Created an agency"),
    "agency_renamed": lazy_gettext("Renamed an agency"),
    "agency_merged": lazy_gettext("Merged an agency into another"),
    "agency_split": lazy_gettext("Split an agency"),
    "agency_dissolved": lazy_gettext("Dissolved an agency"),
    "agency_moved": lazy_gettext("Moved an agency in the tree"),
    "unit_handed_over": lazy_gettext("The unit ended: its open work went to its successor"),
    "unit_succeeded": lazy_gettext("A unit's successor took over its open work"),
    "user_created": lazy_gettext("Created a user"),
    "user_roles_set": lazy_gettext("Set a user's roles"),
    "user_enabled": lazy_gettext("Enabled a user"),
    "second_factor_reset": lazy_gettext("Reset a user's second factor"),
}
SECURITY_KINDS = {
    "login": lazy_gettext("Login"),
    "login_failed": lazy_gettext("Failed login"),
    "logout": lazy_gettext("Logout"),
    "second_factor_failed": lazy_gettext("Wrong second-factor code"),
    "session_ended": lazy_gettext("Sessions ended"),
    "rate_limited": lazy_gettext("Too many attempts"),
    "forbidden": lazy_gettext("Refused request"),
}
DEADLINE_STATES: dict[str, Any] = {
    DeadlineState.ON_TIME: lazy_gettext("On time"),
    DeadlineState.DUE_SOON: lazy_gettext("Due soon"),
    DeadlineState.OVERDUE: lazy_gettext("Overdue"),
    DeadlineState.DONE: lazy_gettext("Done"),
    DeadlineState.DONE_LATE: lazy_gettext("Done late"),
}
PROCESS_STATUSES: dict[str, Any] = {
    ProcessStatus.RUNNING: lazy_gettext("In progress"),
    ProcessStatus.COMPLETED: lazy_gettext("Completed"),
    ProcessStatus.CANCELLED: lazy_gettext("Cancelled"),
    ProcessStatus.HANDED_OVER: lazy_gettext("Handed over to the successor"),
}

DELEGATION_KINDS = {
    "TUQ": lazy_gettext("TUQ. — signs by authorisation"),
    "KT": lazy_gettext("KT. — signs in place of"),
}
FIELDS = {
    "title": lazy_gettext("Title"),
    "year": lazy_gettext("Year"),
    "window": lazy_gettext("Period"),
    "start": lazy_gettext("From"),
    "end": lazy_gettext("To"),
    "grounds": lazy_gettext("Preamble: documents implemented (empty: the campaign's)"),
    "sections": lazy_gettext("Sections"),
    "heading": lazy_gettext("Heading"),
    "body": lazy_gettext("Content"),
    "pilot_sites": lazy_gettext("Pilot sites"),
    "name": lazy_gettext("Name"),
    "agency": lazy_gettext("Agency code (optional)"),
    "budget_lines": lazy_gettext("Budget lines"),
    "item": lazy_gettext("Item"),
    "quantity": lazy_gettext("Quantity"),
    "unit_amount": lazy_gettext("Unit amount (VND)"),
    "nominations": lazy_gettext("Award nominations"),
    "kind": lazy_gettext("Kind"),
    "nominee": lazy_gettext("Nominee"),
    "reason": lazy_gettext("Achievements"),
    "accepted": lazy_gettext("Review"),
    "addressed_units": lazy_gettext("Addressed units"),
    "deadlines": lazy_gettext("Deadlines"),
    "what": lazy_gettext("What is due"),
    "due": lazy_gettext("Due date"),
    "festivals_held": lazy_gettext("Festivals held"),
    "festivals": lazy_gettext("Festivals"),
    "place": lazy_gettext("Place"),
    "participants": lazy_gettext("Participants"),
    "safety": lazy_gettext("Rated “safe in security and order”"),
    "residential_areas": lazy_gettext("Residential areas"),
    "communes": lazy_gettext("Communes"),
    "agencies": lazy_gettext("Agencies"),
    "enterprises": lazy_gettext("Enterprises"),
    "schools": lazy_gettext("Schools"),
    "total": lazy_gettext("Total"),
    "meeting": lazy_gettext("Meeting the standard"),
    "movement": lazy_gettext("Movement rated “Fair” or better"),
    "awards": lazy_gettext("Awards"),
    "count": lazy_gettext("Number"),
    "budget_spent": lazy_gettext("Budget spent (VND)"),
    "narrative": lazy_gettext("Narrative"),
    "adjustment_reason": lazy_gettext("Why a figure is below what the units reported"),
    "targets": lazy_gettext("Targets"),
    "issuer": lazy_gettext("Issued as"),
    "safety_at_least": lazy_gettext("Units rated safe, at least (%)"),
    "movement_above": lazy_gettext("Movement rated Good or better, above (%)"),
    "decision": lazy_gettext("Decision"),
    "comment": lazy_gettext("Comment"),
}
# Where one field name means different things: "<list or group>.<field>".
FIELDS_IN = {
    "nominations.kind": lazy_gettext("Award kind"),
    "awards.kind": lazy_gettext("Award kind"),
    "deadlines.kind": lazy_gettext("Binding on the units for"),
    "grounds.text": lazy_gettext("Document cited (number, date, issuer, subject)"),
}
ROWS = {
    "grounds": lazy_gettext("Document cited"),
    "sections": lazy_gettext("Section"),
    "pilot_sites": lazy_gettext("Pilot site"),
    "budget_lines": lazy_gettext("Line"),
    "nominations": lazy_gettext("Nomination"),
    "deadlines": lazy_gettext("Deadline"),
    "festivals": lazy_gettext("Festival"),
    "awards": lazy_gettext("Award"),
}
CHOICES = {
    "bang_khen_chu_tich_tinh": lazy_gettext("Certificate of merit of the Provincial Chairman"),
    "giay_khen": lazy_gettext("Certificate of commendation"),
    "ky_niem_chuong": lazy_gettext("Medal “For the protection of national security”"),
    "unit_plan": lazy_gettext("Plans of the units"),
    "award_dossier": lazy_gettext("Award dossiers"),
    "unit_report": lazy_gettext("Result reports of the units"),
    "half_year_report": lazy_gettext("Half-year reports of the units"),
    "annual_report": lazy_gettext("Annual reports of the units"),
}
ERRORS = {
    "attachment_not_found": lazy_gettext("No such file."),
    "store_unavailable": lazy_gettext(
        "The file store (%(store)s) is not answering; try again in a few minutes."
    ),
    "not_your_task": lazy_gettext(
        "This task belongs to another agency or role. If you think it should be yours, ask "
        "the agency it is addressed to."
    ),
    "not_your_process": lazy_gettext("Your agency takes no part in this process."),
    "task_not_found": lazy_gettext("There is no such task. It may have been removed."),
    "process_not_found": lazy_gettext("There is no such process."),
    "task_not_open": lazy_gettext(
        "This task has already been completed, perhaps by a colleague a moment ago. Nothing "
        "you typed was saved over their work."
    ),
    "instance_busy": lazy_gettext("The process changed while you were working; please try again."),
    "task_claimed": lazy_gettext("A colleague has taken this task in hand."),
    "task_not_claimed_by_you": lazy_gettext("You do not hold this task."),
    "draft_saved_meanwhile": lazy_gettext(
        "A colleague saved a draft of this task at the same moment. Reload the page."
    ),
    "not_a_leader": lazy_gettext("Only a leader may name a substitute."),
    "script_failed": lazy_gettext(
        "A script in this process's diagram failed, so nothing was saved. Tell an administrator."
    ),
    "drafter_cannot_sign": lazy_gettext(
        "You drafted this plan, so you may not sign it: the head or a deputy signs."
    ),
    "not_your_delegation": lazy_gettext("Only the leader who granted it may end it."),
    "delegation_not_found": lazy_gettext("There is no such delegation."),
    "bad_credentials": lazy_gettext("Wrong username or password."),
    "not_your_register": lazy_gettext("This register belongs to another agency."),
    "agency_not_found": lazy_gettext("There is no such agency."),
    "incident_not_found": lazy_gettext("There is no such incident."),
    "incident_closed": lazy_gettext("This incident is already closed."),
    "incident_moved": lazy_gettext("The process has moved on since; cancel the incident instead."),
    "cannot_migrate": lazy_gettext(
        "The process cannot move to the newest version of its diagram: its steps are gone."
    ),
    "not_a_head": lazy_gettext("Only the head of an agency or a deputy may do this."),
    "not_the_deciding_head": lazy_gettext(
        "Only the head of the agency that signed the plan, or who signs for them, decides its "
        "awards."
    ),
    "plan_not_signed": lazy_gettext("The plan is not signed yet: there is nothing to decide."),
    "award_decision_exists": lazy_gettext("This plan already has its award decision."),
    "not_due": lazy_gettext("This task is not due soon yet: there is nothing to remind."),
    "nothing_to_remind": lazy_gettext("None of these units has an overdue task to remind."),
    "not_supervised": lazy_gettext("You do not supervise this unit's work."),
    "not_your_agency": lazy_gettext("You assign only your own agency's tasks."),
    "certificate_expired": lazy_gettext(
        "The digital certificate of %(holder)s has expired or is not yet valid, so the document "
        "cannot be signed. Ask the certificate authority for a new one."
    ),
    "certificate_revoked": lazy_gettext(
        "The digital certificate of %(holder)s has been revoked, so the document cannot be "
        "signed. Ask the certificate authority for a new one."
    ),
    "certificate_untrusted": lazy_gettext(
        "The digital certificate of %(holder)s is not from the configured certificate "
        "authority, so the document cannot be signed."
    ),
    "signing_key_missing": lazy_gettext(
        "%(holder)s has no signing key and digital certificate, so the document cannot be "
        "signed. Ask the administrator to install one."
    ),
    "no_accepted_nomination": lazy_gettext(
        "The award review accepted no nomination that this head decides: there is nothing to "
        "decide."
    ),
}


def label(codes: dict[str, Any], code: str | None, fallback: str | None = None) -> str:
    """The translated name of a code, else `fallback`, else the code itself."""
    if code is None:
        return fallback or ""
    found = codes.get(code)
    return str(found) if found is not None else (fallback or code)


def choice_label(code: str) -> str:
    """A choice's name; a code the pages do not know yet keeps the schema's own name."""
    return label(CHOICES, code, AWARD_KINDS.get(code) or DEADLINE_KINDS.get(code))


def field_label(name: str, parent: str | None = None) -> str:
    if parent is not None and f"{parent}.{name}" in FIELDS_IN:
        return str(FIELDS_IN[f"{parent}.{name}"])
    return label(FIELDS, name, name.replace("_", " ").capitalize())


def translate_message(message: str) -> str:
    """A field's reason in the page's language: a coded reason (service.errors.Message) by its
    msgid, its parameters shown the page's way; any other text by itself as the msgid."""
    if not isinstance(message, Message):
        return str(gettext(message))
    params = {name: _present(name, value) for name, value in message.params.items()}
    return str(gettext(message.msgid, **params))


def translate_errors(errors: Any) -> Any:
    """A marshmallow error tree with every message translated and every key a string."""
    if isinstance(errors, dict):
        return {str(k): translate_errors(v) for k, v in errors.items()}
    if isinstance(errors, list):
        return [translate_errors(m) for m in errors]
    return translate_message(errors if isinstance(errors, str) else str(errors))


def error_message(code: str, fallback: str, params: dict[str, Any] | None = None) -> str:
    """The page's words for an error: by its code (its %(name)s places filled from `params`),
    else its own English message through the catalog (the rights table's refusals are msgids),
    else as it is."""
    found = ERRORS.get(code)
    if found is None:
        return str(gettext(fallback))
    try:
        return str(found) % params if params else str(found)
    except (KeyError, ValueError, TypeError):  # a message without those places, or a stray %
        return str(found)


def _present(name: str, value: Any) -> str:
    """A parameter as the page shows it: a year as written (2026), other numbers grouped,
    ISO dates as dd/mm/yyyy, lists joined."""
    if isinstance(value, bool) or name.endswith("year"):
        return str(value)
    if isinstance(value, int):
        return number(value)
    if isinstance(value, list):
        return ", ".join(_present(name, v) for v in value)
    if isinstance(value, str) and ISO_DATE.match(value):
        return vn_date(value)
    return str(value)


def ui_text(message: str) -> str:
    """Translate a message made at runtime (already a msgid in the catalog)."""
    return str(gettext(message))

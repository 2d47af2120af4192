"""Step kinds: what each kind of user task is and does, in one table.

A diagram names the kind of each user task (its `form` property, else its id). Operations,
pages, the dashboard, deadlines and translations read this table and branch on its flags,
never on a step's name. It is data: it imports no operation (that would close a circle).

Labels are English msgids, marked with `N_` for extraction; the pages translate them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from marshmallow import Schema, ValidationError

from service.errors import Message
from service.forms import (
    AwardReviewSchema,
    FinanceAppraisalSchema,
    PlanSchema,
    ReportSchema,
    SignSchema,
)


def N_(msgid: str) -> str:  # noqa: N802 -- gettext's conventional marker
    """Mark a msgid for extraction; it is translated where it is shown."""
    return msgid


class Writes(StrEnum):
    """Which part of the process a step's form writes; the rest is kept as it was."""

    NOTHING = "nothing"
    PLAN = "plan"  # the whole plan document
    BUDGET = "budget_lines"
    NOMINATIONS = "nominations"
    REPORT = "report"  # the unit's report for the task's round


class Decision(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"


@dataclass(frozen=True)
class StepKind:
    key: str
    decisions: tuple[Decision, ...]
    schema: Schema  # an instance: building a schema costs more than loading with it
    writes: Writes
    label: str  # short name: inbox, history, dashboard
    title: str  # the form's heading
    buttons: Mapping[Decision, str] = field(default_factory=dict)
    # approving it numbers and issues the plan as a document, then cascades it to its units
    signs_plan: bool = False
    # a dated deadline of the parent that binds it ("plan": the unit's own plan); report steps
    # are bound by their round instead
    deadline_key: str | None = None
    # fields of the schema this step leaves to a later one ("<list>.<field>"): not taken from it
    hidden: frozenset[str] = frozenset()
    # approving it needs a verdict (accepted or not) on every nomination of the plan
    needs_verdicts: bool = False
    # approving it signs the level's report for its round, issues it and sends it up
    signs_report: bool = False
    # whoever drafted what this step signs (the plan, or the round's report) may not complete it
    not_by_drafter: bool = False

    @property
    def writes_report(self) -> bool:
        return self.writes is Writes.REPORT

    @property
    def has_round(self) -> bool:
        """Its task belongs to a report round (the diagram's `report_round` property)."""
        return self.writes_report or self.signs_report


_APPROVE_OR_RETURN = (Decision.APPROVE, Decision.RETURN)

KINDS: dict[str, StepKind] = {
    kind.key: kind
    for kind in (
        StepKind(
            "draft_plan",
            (Decision.SUBMIT,),
            PlanSchema(),
            Writes.PLAN,
            label=N_("Draft the plan"),
            title=N_("Draft the plan"),
            buttons={Decision.SUBMIT: N_("Submit for appraisal")},
            deadline_key="plan",
            hidden=frozenset({"nominations.accepted"}),  # the drafter does not review them
        ),
        StepKind(
            "finance_appraisal",
            _APPROVE_OR_RETURN,
            FinanceAppraisalSchema(),
            Writes.BUDGET,
            label=N_("Budget appraisal"),
            title=N_("Appraise the budget"),
            buttons={Decision.APPROVE: N_("Approve the budget")},
        ),
        StepKind(
            "award_review",
            _APPROVE_OR_RETURN,
            AwardReviewSchema(),
            Writes.NOMINATIONS,
            label=N_("Award review"),
            title=N_("Review the award nominations"),
            buttons={Decision.APPROVE: N_("Approve the nominations")},
            needs_verdicts=True,
        ),
        StepKind(
            "chairman_sign",
            _APPROVE_OR_RETURN,
            SignSchema(),
            Writes.NOTHING,
            label=N_("Sign and issue"),
            title=N_("Sign and issue the plan"),
            buttons={Decision.APPROVE: N_("Sign and issue")},
            signs_plan=True,
            not_by_drafter=True,
        ),
        StepKind(
            "consolidate_report",
            (Decision.SUBMIT,),
            ReportSchema(),
            Writes.REPORT,
            label=N_("Consolidate the report"),
            title=N_("The result report"),
            buttons={Decision.SUBMIT: N_("Send the report")},
        ),
        StepKind(
            "sign_report",
            _APPROVE_OR_RETURN,
            SignSchema(),
            Writes.NOTHING,
            label=N_("Sign the report"),
            title=N_("Sign and send the report"),
            buttons={Decision.APPROVE: N_("Sign and send the report")},
            signs_report=True,
            not_by_drafter=True,
        ),
        # A diagram's own review step (`form="review"`): approve or return, no fields.
        StepKind(
            "review",
            _APPROVE_OR_RETURN,
            SignSchema(),
            Writes.NOTHING,
            label=N_("Review and decide"),
            title=N_("Your decision"),
        ),
    )
}
FALLBACK_BUTTONS = {
    Decision.SUBMIT: N_("Submit"),
    Decision.APPROVE: N_("Approve"),
    Decision.RETURN: N_("Return for revision"),
}
# The kinds whose approval or submission moves a plan forward: the dashboard's "plan submitted".
PLAN_KINDS = frozenset(k.key for k in KINDS.values() if k.writes is Writes.PLAN)
REPORT_KINDS = frozenset(k.key for k in KINDS.values() if k.writes is Writes.REPORT)


class UnknownKind(KeyError):
    pass


def kind_of(key: str) -> StepKind:
    """The kind a task names. Deploying refuses diagrams with unknown kinds, so a stored task
    always names a known one.

    :raise UnknownKind: no such kind
    """
    try:
        return KINDS[key]
    except KeyError:
        raise UnknownKind(key) from None


def button(kind: StepKind, decision: str) -> str:
    """The msgid of a decision's button on this kind's form."""
    found = kind.buttons.get(Decision(decision))
    return found if found is not None else FALLBACK_BUTTONS[Decision(decision)]


def validate_step(
    key: str, decision: str, comment: str | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Check a completion of a task of kind `key`; return `data` as JSON-ready values or raise
    ValidationError.

    Errors are keyed like the request body: `decision`, `comment`, `data.<field>…`.
    """
    kind = kind_of(key)
    errors: dict[str, Any] = {}
    if decision not in kind.decisions:
        choices = list(kind.decisions)
        errors["decision"] = [
            Message("not_a_choice", "Choose one of the options.", choices=choices)
        ]
    if decision == Decision.RETURN and not (comment or "").strip():
        errors["comment"] = [
            Message("return_needs_comment", "A return needs a comment saying what to change.")
        ]
    try:
        loaded = kind.schema.load(data)
    except ValidationError as err:
        errors["data"] = err.messages
    if errors:
        raise ValidationError(errors)
    values = dict(kind.schema.dump(loaded))
    for path in kind.hidden:  # left to a later step: whatever was sent is not taken
        rows, name = path.split(".")
        for row in values.get(rows) or []:
            row[name] = None
    return values


def merge(kind: StepKind, document: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The plan after a completion of `kind` with `values`; the very same object when the step
    writes none of it (so callers can skip comparing)."""
    if kind.writes is Writes.PLAN:
        return values
    if kind.writes in (Writes.BUDGET, Writes.NOMINATIONS) and kind.writes.value in values:
        return {**document, kind.writes.value: values[kind.writes.value]}
    return document

"""One task: the plan it is about, the step's form, and completing it; claim and release."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_login import login_required
from werkzeug.datastructures import MultiDict

from service.attachment_http import send_inline_pdf
from service.errors import Conflict, DomainError, Forbidden, Invalid
from service.operations.actors import Actor, load_actor
from service.operations.drafts import Draft, read_draft, save_draft, typed
from service.operations.tasks import Completed, claim_task, complete_task, release_task
from service.queries.conversations import conversation
from service.queries.directory import addressable_units, plan_issuers
from service.queries.processes import ProcessDetail, process_detail
from service.queries.signing import SigningPreview, preview_pdf, signing_preview
from service.queries.tasks import TaskDetail, task_detail
from service.states import TaskState
from service.steps import Decision, StepKind, Writes, button, kind_of
from service.web import forms
from service.web.auth import safe_next
from service.web.changes import worded
from service.web.deps import current_actor, new_uow, new_view
from service.web.formats import vn_datetime
from service.web.labels import STEPS, label, translate_errors
from workflows.diff import patch

bp = Blueprint("tasks", __name__, url_prefix="/tasks")


@bp.get("/<int:task_id>")
@login_required
def show(task_id: int) -> ResponseReturnValue:
    """The plan, what came back with it, and the step's form filled with the plan as it is."""
    actor = current_actor()
    task = task_detail(new_view(), actor, task_id)
    draft = read_draft(new_view(), actor, task_id) if task.state == TaskState.OPEN else None
    if draft is None:
        return _render(actor, task, _initial(task), {}, comment="")
    form = MultiDict(draft.fields)
    errors = translate_errors(draft.errors) if draft.errors else {}
    return _render(
        actor,
        task,
        forms.parse(_kind(task).schema, form, hidden=_kind(task).hidden),
        errors,
        form.get("comment", ""),
        draft=draft,
        restored=request.args.get("restored") == "1",
    )


@bp.post("/<int:task_id>/draft")
@login_required
def draft(task_id: int) -> ResponseReturnValue:
    """Save the form as typed, unchecked: the "Save draft" button, and the page's autosave
    (which asks for JSON)."""
    saved = save_draft(new_uow(), current_actor(), task_id, request.form.items(multi=True))
    if _wants_json():
        return {"saved_at": saved.saved_at.isoformat(), "message": _saved_text(saved.saved_at)}
    flash(gettext("Draft saved. It is kept until the task is sent."), "success")
    return redirect(url_for("web.tasks.show", task_id=task_id), 303)


def keep_expired(task_id: int, user: tuple[int, int]) -> bool:
    """A form posted to a task just after its session expired (idle, or too old): keep it as
    the task's draft of the user that session was theirs, so nothing typed is lost across the
    login. Only the once: the check that found it expired ended the session. Whether it was
    kept (not when the user is disabled or gone, or may not act on the task)."""
    user_id, epoch = user
    try:
        actor = load_actor(new_uow(write=False), user_id, epoch)
        save_draft(new_uow(), actor, task_id, request.form.items(multi=True))
    except DomainError:
        current_app.logger.info("a form posted after its session expired was not kept")
        return False
    return True


def resend(task_id: int) -> ResponseReturnValue:
    """A task form whose token had expired (say, the user logged in again in another tab): a
    request without a valid token changes nothing, so nothing is saved, but the page comes
    back with what was typed and a fresh token, to send again."""
    actor = current_actor()
    task = task_detail(new_view(), actor, task_id)
    if task.state != TaskState.OPEN:
        return redirect(url_for("web.tasks.show", task_id=task_id))
    form = MultiDict(typed(request.form.items(multi=True)))
    values = forms.parse(_kind(task).schema, form, hidden=_kind(task).hidden)
    return _render(actor, task, values, {}, form.get("comment", ""), status=400, resend=True)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _saved_text(at: datetime) -> str:
    return str(gettext("Draft saved at %(time)s", time=vn_datetime(at)))


@bp.post("/<int:task_id>")
@login_required
def complete(task_id: int) -> ResponseReturnValue:
    """Complete the task from its form; on bad input the form comes back with the reasons."""
    actor = current_actor()
    task = task_detail(new_view(), actor, task_id)
    kind = _kind(task)
    data = forms.parse(kind.schema, request.form, hidden=kind.hidden)
    comment = (request.form.get("comment") or "").strip()
    if request.form.get("_add"):
        forms.add_row(data, request.form["_add"])
        return _render(actor, task, data, {}, comment, focus=request.form["_add"])
    if request.form.get("_remove"):
        forms.remove_row(data, request.form["_remove"])
        return _render(actor, task, data, {}, comment)
    if request.form.get("_apply_proposal"):  # fill the form with the ticked proposed values
        chosen = request.form.getlist("_proposal")
        data = _take_proposal(task, data, chosen)
        return _render(actor, task, data, {}, comment, proposal_taken=bool(chosen))
    decision = request.form.get("decision") or ""
    try:
        settings = current_app.extensions["settings"]
        done = complete_task(
            new_uow(autocommit=True),  # no BEGIN before its first write (service.db.uow)
            actor,
            task_id,
            decision,
            comment or None,
            data,
            keys=settings.key_store(),
            fanout_inline_max=settings.fanout_inline_max,
        )
    except Invalid as err:
        # post-redirect-get: the form and its reasons wait in the draft, so Back and reload
        # never send it again
        try:
            save_draft(new_uow(), actor, task_id, request.form.items(multi=True), err.errors)
        except DomainError:  # cannot keep it (too large, held by a colleague): answer at once
            return _render(actor, task, data, translate_errors(err.errors), comment, status=422)
        return redirect(url_for("web.tasks.show", task_id=task_id), 303)
    flash(_signed(done) or _sent(actor, done.instance_id, decision, done.next_steps), "success")
    return redirect(url_for("web.inbox.index"))


@bp.get("/<int:task_id>/preview.pdf")
@login_required
def preview(task_id: int) -> ResponseReturnValue:
    """The document signing the task would issue, marked as a preview, for the page's frame."""
    file = preview_pdf(new_view(), current_actor(), task_id, gettext("PREVIEW"))
    return send_inline_pdf(file.name, file.content, file.sha256)


def _signed(done: Completed) -> str | None:
    """What a signing issued: its number, and the units it reached (None: no signing)."""
    if done.document_number is None:
        return None
    number = f"{done.document_number}/{done.document_symbol}"
    if (done.document_symbol or "").partition("-")[0] == "KH":
        return str(
            ngettext(
                "Signed and issued plan no. %(number)s, sent to %(num)d unit.",
                "Signed and issued plan no. %(number)s, sent to %(num)d units.",
                done.units_reached or 0,
                number=number,
            )
        )
    if done.units_reached:
        return str(
            gettext("Signed report no. %(number)s and sent it to the level above.", number=number)
        )
    return str(gettext("Signed and issued report no. %(number)s.", number=number))


def _sent(actor: Actor, process_id: int, decision: str, next_steps: list[str]) -> str:
    """What became of the task: returned to whom, or sent on to which steps, named in the
    page's language (the engine names them in Vietnamese)."""
    if not next_steps:
        return str(gettext("Done. Nothing more is waiting on this step."))
    process = process_detail(new_view(), actor, process_id)
    tasks = process.tasks if isinstance(process, ProcessDetail) else []  # else: a plan from above
    open_tasks = [t for t in tasks if t.state == TaskState.OPEN]
    if decision == Decision.RETURN and open_tasks:
        agencies = ", ".join(sorted({t.agency for t in open_tasks}))
        return str(gettext("Returned to %(agencies)s.", agencies=agencies))
    steps = {t.name: t.step for t in open_tasks}
    names = [label(STEPS, steps.get(name), name) for name in next_steps]
    return str(gettext("Sent. Next step: %(steps)s.", steps=", ".join(names)))


@bp.post("/<int:task_id>/claim")
@login_required
def claim(task_id: int) -> ResponseReturnValue:
    """Take the task in hand so colleagues see someone is on it."""
    claim_task(new_uow(), current_actor(), task_id)
    flash(gettext("You have taken this task in hand."), "success")
    return redirect(safe_next(request.form.get("next")))


@bp.post("/<int:task_id>/release")
@login_required
def release(task_id: int) -> ResponseReturnValue:
    """Give the task back to the agency's queue."""
    release_task(new_uow(), current_actor(), task_id)
    flash(gettext("The task is back in your agency's queue."), "info")
    return redirect(safe_next(request.form.get("next")))


def _initial(task: TaskDetail) -> dict[str, Any]:
    """What the form starts with: the report so far, or the plan's parts the step edits (a
    first draft starts with the title the plan was started under)."""
    if task.report_round:
        round_ = task.report_round
        source = task.report_drafts.get(round_) or task.reports.get(round_) or task.units_sum or {}
    elif _kind(task).writes_report:
        source = {}
    else:
        source = task.document or {"title": task.process_title}
    return {name: source[name] for name in _kind(task).schema.fields if name in source}


def _signing(actor: Actor, task: TaskDetail, kind: StepKind) -> SigningPreview | None:
    """An open signing task's confirmation (None: not a signing, or nothing drafted to sign)."""
    if not (kind.signs_plan or kind.signs_report) or task.state != TaskState.OPEN:
        return None
    try:
        return signing_preview(new_view(), actor, task.id)
    except Conflict:
        return None


def _take_proposal(task: TaskDetail, data: dict[str, Any], chosen: list[str]) -> Any:
    """The form's values with the proposed changes ticked (by their index) put in."""
    changes = [] if task.proposal is None else task.proposal.changes
    picked = {int(i) for i in chosen if i.isdigit()}
    return patch(
        data,
        [{"path": c.path, "new": c.proposed} for i, c in enumerate(changes) if i in picked],
    )


def _kind(task: TaskDetail) -> StepKind:
    return kind_of(task.form)


def _render(
    actor: Actor,
    task: TaskDetail,
    values: dict[str, Any],
    errors: dict[str, Any],
    comment: str,
    *,
    status: int = 200,
    focus: str | None = None,
    proposal_taken: bool = False,
    draft: Draft | None = None,
    restored: bool = False,
    resend: bool = False,
) -> ResponseReturnValue:
    kind = _kind(task)
    units = addressable_units(new_view(), task.process_id)
    unit_choices = [(u.code, ("— " * (u.depth - 1)) + u.name) for u in units]
    options = {
        "addressed_units": unit_choices,
        "pilot_sites.agency": unit_choices,
        "issuer": [
            (symbol, f"KH-{symbol} — {name}")
            for symbol, name in plan_issuers(new_view(), task.process_id)
        ],
    }
    nodes = forms.build(
        kind.schema,
        values,
        errors.get("data"),
        options=options,
        hidden=kind.hidden,
    )
    decisions = [(d, gettext(button(kind, d))) for d in kind.decisions]
    signing = _signing(actor, task, kind)
    try:
        conv = conversation(new_view(), actor, task.process_id)
    except Forbidden:  # a task of a process the actor does not read in full: no thread
        conv = None
    data_errors = errors.get("data")
    general = data_errors.get("_schema", []) if isinstance(data_errors, dict) else []
    return (
        render_template(
            "task.html",
            task=task,
            conv=conv,
            signing=signing,
            document=task.document,
            nodes=nodes,
            decisions=decisions,
            comment=comment,
            comment_errors=errors.get("comment", []),
            decision_errors=errors.get("decision", []),
            general_errors=general,
            problems=forms.problems(nodes),
            has_errors=bool(errors),
            focus=focus,
            editable=task.state == TaskState.OPEN,
            unit_names={u.code: u.name for u in units},
            form_title=gettext(kind.title),
            writes_plan=kind.writes is Writes.PLAN,
            signed_report=task.report_drafts.get(task.report_round or "")
            if kind.signs_report
            else None,
            budget_total=forms.budget_total(values.get("budget_lines")),
            proposed=[]
            if task.proposal is None
            else [worded(c.path, c.current, c.proposed) for c in task.proposal.changes],
            proposal_taken=proposal_taken,
            draft=draft,
            draft_saved=_saved_text(draft.saved_at) if draft else "",
            restored=restored,
            resend=resend,
            autosave_seconds=current_app.config["DRAFT_AUTOSAVE_SECONDS"],
            current_signing_mark=next(
                (
                    g.mark
                    for g in actor.grants
                    if (g.agency_id, g.role) == (task.agency.id, task.role)
                ),
                "",
            ),
        ),
        status,
    )

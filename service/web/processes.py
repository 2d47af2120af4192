"""A process: its plan, every event in order, and the BPMN diagram with where it stands.

The page draws the diagram in the browser with bpmn-js (static/js/diagram.js fetches the
deployed BPMN from `diagram_bpmn`); the steps as a list, with their states, are the fallback."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from service.errors import Invalid, NotFound
from service.operations.actors import Actor
from service.operations.awards import issue_award_decision
from service.operations.definitions import DefinitionView
from service.operations.processes import copy_last_year, start_process
from service.permissions import Right, may
from service.queries.awards import award_decision
from service.queries.conversations import conversation
from service.queries.definitions import definitions
from service.queries.diagram import Diagram, diagram
from service.queries.directory import addressable_units, assignees
from service.queries.documents import process_documents
from service.queries.processes import ProcessAsIssued, ProcessDetail, history, process_detail
from service.queries.reports import children
from service.states import TaskState
from service.validation import REQUIRED
from service.web import labels
from service.web.changes import worded_event
from service.web.deps import current_actor, new_uow, new_view
from service.web.labels import DIAGRAM_NAMES, ROLES, STEPS, label, translate_errors

bp = Blueprint("processes", __name__, url_prefix="/processes")


@bp.get("/<int:process_id>")
@login_required
def show(process_id: int) -> ResponseReturnValue:
    actor = current_actor()
    process = process_detail(new_view(), actor, process_id)
    if isinstance(process, ProcessAsIssued):  # a unit it addressed: the plan alone
        return render_template(
            "issued_plan.html",
            process=process,
            document=process.document,
            unit_names=unit_names(actor, process_id),
            awards=award_decision(new_view(), actor, process_id),
        )
    events = history(new_view(), actor, process_id)
    where = diagram(new_view(), actor, process_id)
    diagram_steps = _diagram_steps(where)
    steps = {t.step: t.name for t in process.tasks}
    open_tasks = [t for t in process.tasks if t.state == TaskState.OPEN]
    conv = conversation(new_view(), actor, process_id)
    return render_template(
        "process.html",
        conv=conv,
        comment_bodies={c.id: c.body for c in conv.comments},
        process=process,
        document=process.document,
        events=[worded_event(e) for e in events],
        steps=steps,
        diagram=where,
        diagram_steps=diagram_steps,
        diagram_labels={  # what the viewer writes over the diagram's own names (lanes: codes)
            "lanes": {role: label(ROLES, role) for role in ROLES},
            "steps": {step["id"]: step["label"] for step in diagram_steps},
            "names": {name: str(text) for name, text in DIAGRAM_NAMES.items()},
        },
        open_tasks=open_tasks,
        assignees=assignees(new_view(), actor, [t.id for t in open_tasks]),
        unit_names=unit_names(actor, process_id),
        lanes=_lanes(process),
        units=children(new_view(), actor, process_id) if process.issued_at else [],
        documents=process_documents(new_view(), actor, process_id),
        awards=award_decision(new_view(), actor, process_id),
    )


@bp.post("/<int:process_id>/award-decision")
@login_required
def decide_awards(process_id: int) -> ResponseReturnValue:
    """The signing head's button: issue the plan's award decision (QĐ khen thưởng)."""
    issue_award_decision(
        new_uow(), current_actor(), process_id, current_app.extensions["settings"].key_store()
    )
    flash(gettext("The award decision is numbered and issued."), "success")
    return redirect(url_for("web.processes.show", process_id=process_id) + "#awards-title")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Start a plan at the actor's level; its first task, the draft, opens next."""
    actor = current_actor()
    latest: dict[str, DefinitionView] = {}
    for row in definitions(new_view()):  # newest version first
        latest.setdefault(row.process_id, row)
    title = (request.form.get("title") or "").strip()
    chosen = request.form.get("definition") or "plan_chain"
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not title:
            errors = translate_errors({"title": [REQUIRED]})
        elif chosen in latest:
            try:
                process_id = start_process(new_uow(autocommit=True), actor, chosen, title[:500])
            except Invalid as err:
                errors = translate_errors(err.errors)
            else:
                flash(gettext("The plan is started. Draft it now."), "success")
                return _to_first_task(actor, process_id)
    status = 422 if errors else 200
    return (
        render_template(
            "new_process.html",
            definitions=list(latest.values()),
            title=title,
            definition=chosen,
            errors=errors,
            can_start=may(actor, Right.START_PLAN),
        ),
        status,
    )


@bp.post("/copy-last-year")
@login_required
def copy() -> ResponseReturnValue:
    """Start a plan copied from the agency's plan of the year before; its draft opens next."""
    actor = current_actor()
    try:
        process_id = copy_last_year(new_uow(autocommit=True), actor)
    except NotFound as err:  # nothing to copy: say so where the button was
        flash(labels.error_message(err.code, err.message, err.params), "error")
        return redirect(url_for("web.processes.new"))
    flash(
        gettext("Last year's plan is copied, its dates moved a year. Check it and draft on."),
        "success",
    )
    return _to_first_task(actor, process_id)


def _to_first_task(actor: Actor, process_id: int) -> ResponseReturnValue:
    """The new process's first open task (its starter's draft), else the process."""
    started = process_detail(new_view(), actor, process_id)
    first = [
        t
        for t in getattr(started, "tasks", [])  # its starter reads it in full
        if t.state == TaskState.OPEN
    ]
    if first:
        return redirect(url_for("web.tasks.show", task_id=first[0].id))
    return redirect(url_for("web.processes.show", process_id=process_id))


def unit_names(actor: Actor, process_id: int) -> dict[str, str]:
    """Agency codes of the units below a plan, with their names."""
    return {u.code: u.name for u in addressable_units(new_view(), process_id)}


@bp.get("/<int:process_id>/diagram.bpmn")
@login_required
def diagram_bpmn(process_id: int) -> ResponseReturnValue:
    """The BPMN XML the process runs on (its deployed version), for the page's viewer or to
    save; for those who read the process in full."""
    where = diagram(new_view(), current_actor(), process_id)
    response = Response(where.bpmn, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'inline; filename="process-{process_id}.bpmn"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _diagram_steps(where: Diagram) -> list[dict[str, str]]:
    """Each step of the diagram with its state (open, done, todo): the list drawn without
    script, and its labels in the reader's language."""
    current, done = set(where.open), set(where.done)
    return [
        {
            "id": step.id,
            "label": label(STEPS, step.id, step.name),
            "state": "open" if step.id in current else "done" if step.id in done else "todo",
        }
        for step in where.steps
    ]


def _lanes(process: ProcessDetail) -> list[tuple[str, str]]:
    """Each lane of the diagram (a role) with the agency that fills it in this process."""
    agencies: dict[str, str] = {}
    for task in process.tasks:
        agencies.setdefault(task.role, task.agency)
    return [(label(ROLES, role), agency) for role, agency in agencies.items()]

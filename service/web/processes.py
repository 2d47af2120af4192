"""A process: its plan, every event in order, and the BPMN diagram with where it stands."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required
from markupsafe import Markup

from service.errors import Invalid
from service.operations.actors import Actor
from service.operations.awards import issue_award_decision
from service.operations.processes import start_process
from service.permissions import Reading
from service.queries.awards import award_decision
from service.queries.definitions import definitions
from service.queries.diagram import diagram
from service.queries.directory import addressable_units
from service.queries.documents import process_documents
from service.queries.processes import history, process_detail
from service.queries.reports import children
from service.web.changes import worded_event
from service.web.deps import current_actor, new_uow
from service.web.i18n import ROLES, label, translate_errors
from workflows.diagram_svg import render_svg

bp = Blueprint("processes", __name__, url_prefix="/processes")


@bp.get("/<int:process_id>")
@login_required
def show(process_id: int) -> ResponseReturnValue:
    actor = current_actor()
    process = process_detail(new_uow(write=False), actor, process_id)
    if process["reading"] == Reading.ISSUED_PLAN:  # a unit it addressed: the plan alone
        return render_template(
            "issued_plan.html",
            process=process,
            document=process["document"],
            unit_names=unit_names(actor, process_id),
        )
    events = history(new_uow(write=False), actor, process_id)
    svg = _svg(actor, process_id, process)
    steps = {t["step"]: t["name"] for t in process["tasks"]}
    return render_template(
        "process.html",
        process=process,
        document=process["document"],
        events=[worded_event(e) for e in events],
        steps=steps,
        svg=Markup(svg),  # noqa: S704  # built by lxml, every text escaped
        open_tasks=[t for t in process["tasks"] if t["state"] == "open"],
        unit_names=unit_names(actor, process_id),
        lanes=_lanes(process),
        units=children(new_uow(write=False), actor, process_id) if process["issued_at"] else [],
        documents=process_documents(new_uow(write=False), actor, process_id),
        awards=award_decision(new_uow(write=False), actor, process_id),
    )


@bp.post("/<int:process_id>/award-decision")
@login_required
def decide_awards(process_id: int) -> ResponseReturnValue:
    """The signing head's button: issue the plan's award decision (QĐ khen thưởng)."""
    issue_award_decision(new_uow(), current_actor(), process_id)
    flash(gettext("The award decision is numbered and issued."), "success")
    return redirect(url_for("web.processes.show", process_id=process_id) + "#awards-title")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """Start a plan at the actor's level; its first task, the draft, opens next."""
    actor = current_actor()
    latest: dict[str, dict[str, Any]] = {}
    for row in definitions(new_uow(write=False)):  # newest version first
        latest.setdefault(row["process_id"], row)
    title = (request.form.get("title") or "").strip()
    chosen = request.form.get("definition") or "plan_chain"
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not title:
            errors = translate_errors({"title": ["Missing data for required field."]})
        elif chosen in latest:
            try:
                process_id = start_process(new_uow(), actor, chosen, title[:500])
            except Invalid as err:
                errors = translate_errors(err.errors)
            else:
                flash(gettext("The plan is started. Draft it now."), "success")
                started = process_detail(new_uow(write=False), actor, process_id)
                first = [t for t in started["tasks"] if t["state"] == "open"]
                if first:
                    return redirect(url_for("web.tasks.show", task_id=first[0]["id"]))
                return redirect(url_for("web.processes.show", process_id=process_id))
    status = 422 if errors else 200
    return (
        render_template(
            "new_process.html",
            definitions=list(latest.values()),
            title=title,
            definition=chosen,
            errors=errors,
        ),
        status,
    )


def unit_names(actor: Actor, process_id: int) -> dict[str, str]:
    """Agency codes of the units below a plan, with their names."""
    return {u["code"]: u["name"] for u in addressable_units(new_uow(write=False), process_id)}


@bp.get("/<int:process_id>/diagram.svg")
@login_required
def diagram_svg(process_id: int) -> ResponseReturnValue:
    """The diagram alone, to open full size or save."""
    actor = current_actor()
    process = process_detail(new_uow(write=False), actor, process_id)
    return Response(_svg(actor, process_id, process), mimetype="image/svg+xml")


def _svg(actor: Actor, process_id: int, process: dict[str, Any]) -> str:
    where = diagram(new_uow(write=False), actor, process_id)
    lanes = {role: label(ROLES, role) for role in ROLES}
    return render_svg(
        where["bpmn"],
        open_ids=where["open"],
        done_ids=where["done"],
        lane_labels=lanes,
        status_labels={"open": gettext("in progress"), "done": gettext("done")},
        title=gettext("Process diagram: %(title)s", title=process["title"]),
    )


def _lanes(process: dict[str, Any]) -> list[tuple[str, str]]:
    """Each lane of the diagram (a role) with the agency that fills it in this process."""
    agencies: dict[str, str] = {}
    for task in process["tasks"]:
        agencies.setdefault(task["role"], task["agency"])
    return [(label(ROLES, role), agency) for role, agency in agencies.items()]

"""Nhắc việc and assignment from the pages: a late task's reminder button and the form that
gives a task to a colleague (the dashboard's units table posts to web.dashboard.remind)."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext, ngettext
from flask_login import login_required

from service.errors import Conflict, Invalid
from service.operations.supervision import Reminders, assign_task, remind_task
from service.web.auth import safe_next
from service.web.deps import current_actor, new_uow
from service.web.formats import vn_date
from service.web.labels import error_message, translate_errors

bp = Blueprint("reminders", __name__, url_prefix="/tasks")


@bp.post("/<int:task_id>/remind")
@login_required
def remind(task_id: int) -> ResponseReturnValue:
    """Remind the agency holding a late task."""
    try:
        done = remind_task(new_uow(), current_actor(), task_id)
    except Conflict as err:
        flash_conflict(err)
    else:
        flash(gettext("Reminder sent to %(agency)s.", agency=done.agency), "success")
    return redirect(safe_next(request.form.get("next")))


@bp.post("/<int:task_id>/assign")
@login_required
def assign(task_id: int) -> ResponseReturnValue:
    """Give the task to the colleague chosen in the form."""
    assignee = (request.form.get("assignee") or "").strip()
    try:
        assign_task(new_uow(), current_actor(), task_id, assignee)
    except Invalid as err:
        reasons = translate_errors(err.errors).get("assignee", [])
        flash(gettext("Not assigned: %(reason)s", reason=" ".join(reasons)), "error")
    except Conflict as err:
        flash_conflict(err)
    else:
        flash(gettext("The task is now in the hands of the colleague you chose."), "success")
    return redirect(safe_next(request.form.get("next")))


def flash_reminded(found: Reminders) -> None:
    agencies = ", ".join(dict.fromkeys(r.agency for r in found.reminded))
    n = len(found.reminded)
    flash(
        ngettext(
            "%(num)s reminder sent: %(agencies)s.",
            "%(num)s reminders sent: %(agencies)s.",
            n,
            agencies=agencies,
        ),
        "success",
    )
    if found.skipped:
        skipped = ", ".join(dict.fromkeys(s.agency for s in found.skipped))
        flash(gettext("Already reminded today, not again: %(agencies)s.", agencies=skipped), "info")


def flash_conflict(err: Conflict) -> None:
    """A reminder too soon says from when; other conflicts say what the service says."""
    if err.code == "reminded_today" and "next_at" in err.params:
        when = vn_date(datetime.fromisoformat(err.params["next_at"]))
        flash(
            gettext("Already reminded today; you may remind again from %(date)s.", date=when),
            "error",
        )
    else:
        flash(error_message(err.code, err.message), "error")

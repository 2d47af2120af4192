"""Incidents page: diagram scripts that failed, for administrators to retry or cancel."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from service.errors import Conflict, Unprocessable
from service.operations.incidents import cancel_incident, list_incidents, retry_incident
from service.web.deps import current_actor, new_uow
from service.web.labels import error_message

bp = Blueprint("incidents", __name__, url_prefix="/incidents")


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """Open incidents, newest first (administrators)."""
    rows = list_incidents(new_uow(write=False), current_actor())
    return render_template("incidents.html", incidents=rows)


@bp.post("/<int:incident_id>/retry")
@login_required
def retry(incident_id: int) -> ResponseReturnValue:
    """Re-run the failed step on the newest diagram; say whether it moved."""
    try:
        retry_incident(new_uow(), current_actor(), incident_id)
    except (Unprocessable, Conflict) as err:
        flash(error_message(err.code, err.message), "error")
    else:
        flash(gettext("The step now runs: the incident is resolved."), "success")
    return redirect(url_for("web.incidents.index"))


@bp.post("/<int:incident_id>/cancel")
@login_required
def cancel(incident_id: int) -> ResponseReturnValue:
    """Cancel the incident's process."""
    try:
        cancel_incident(new_uow(), current_actor(), incident_id)
    except Conflict as err:
        flash(error_message(err.code, err.message), "error")
    else:
        flash(gettext("The process is cancelled."), "success")
    return redirect(url_for("web.incidents.index"))

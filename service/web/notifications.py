"""Reminders and escalations sent to the actor's agency."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from service.queries.notifications import notifications
from service.web.deps import current_actor, new_uow

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index() -> ResponseReturnValue:
    rows = notifications(new_uow(write=False), current_actor())
    return render_template("notifications.html", rows=rows)

"""Reminders and escalations sent to the actor's agency; each user marks them read."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from service.operations.notifications import mark_read
from service.queries.notifications import notifications
from service.web.deps import current_actor, new_uow, new_view

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index() -> ResponseReturnValue:
    """Newest first; `?unread=1`: only those the user has not read."""
    unread = request.args.get("unread") == "1"
    rows = notifications(new_view(), current_actor(), unread=unread)
    return render_template("notifications.html", rows=rows, unread_only=unread)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_one(notification_id: int) -> ResponseReturnValue:
    mark_read(new_uow(), current_actor(), notification_id)
    return redirect(url_for("web.notifications.index", unread=request.args.get("unread")))


@bp.post("/notifications/read")
@login_required
def read_all() -> ResponseReturnValue:
    marked = mark_read(new_uow(), current_actor())
    flash(gettext("%(count)s notifications marked as read.", count=marked), "success")
    return redirect(url_for("web.notifications.index"))

"""The inbox: the tasks waiting for the actor, with filters, search and pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from marshmallow import fields

from service import validation as validate
from service.db.base import MAX_ID
from service.permissions import Right, may
from service.queries.notifications import unread_count
from service.queries.senders import senders
from service.queries.tasks import inbox, inbox_counts
from service.states import TaskState
from service.validation import Schema
from service.web.deps import current_actor, new_view
from service.web.filters import page_number, read_filters
from service.web.labels import STEPS

bp = Blueprint("inbox", __name__)


@bp.app_context_processor
def _counts() -> dict[str, Any]:
    """The counts in the navigation, on every page of a logged-in user."""
    if not current_user.is_authenticated or not (request.blueprint or "").startswith("web"):
        return {}
    actor = current_actor()
    return {
        "counts": inbox_counts(new_view(), actor),
        "unread": unread_count(new_view(), actor),
    }


class _Filters(Schema):
    step = fields.String(load_default=None, validate=validate.OneOf(list(STEPS)))
    process = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    q = fields.String(load_default=None)


@bp.get("/inbox")
@login_required
def index() -> ResponseReturnValue:
    """The actor's open tasks, soonest due first; the "done" tab: the tasks their agency (or,
    `by=me`, they themselves) completed, newest first."""
    actor = current_actor()
    args = request.args
    done = args.get("tab") == "done"
    by = "me" if done and args.get("by") == "me" else "agency"
    found, raw, errors = read_filters(_Filters())
    step, process = found["step"], found["process"]
    overdue = True if args.get("overdue") == "1" else None
    q = (found["q"] or "").strip()[:200] or None
    size = int(current_app.config["INBOX_PAGE_SIZE"])
    page = page_number(size, errors)
    rows = inbox(
        new_view(),
        actor,
        state=TaskState.COMPLETED if done else TaskState.OPEN,
        by=by,
        process=process,
        overdue=overdue,
        step=step,
        q=q,
        limit=size + 1,
        offset=(page - 1) * size,
    )
    more, rows = len(rows) > size, rows[:size]
    sent = senders(new_view(), actor, [r.id for r in rows])
    filters = {
        "step": step or "",
        "process": raw.get("process", "") if "process" in errors else process or "",
        "overdue": overdue,
        "q": q or "",
        "tab": "done" if done else "",
        "by": by,
    }
    return render_template(
        "inbox.html",
        rows=[] if errors else rows,
        done=done,
        senders=sent,
        filters=filters,
        steps=list(STEPS),
        page=page,
        more=more and not errors,
        filtered=bool(step or process or overdue or q or errors),
        can_start=may(actor, Right.START_PLAN),
        errors=errors,
        raw=raw,
    ), (400 if errors else 200)

"""Every process the user may read, filtered and searched, in pages or as CSV and Excel; the
auditor's landing page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import login_required

from service.errors import Message
from service.exports import send_table
from service.queries.process_list import (
    STATUSES,
    Filters,
    FilterSchema,
    list_page,
    process_list,
)
from service.web.deps import current_actor, new_uow, new_view
from service.web.filters import page_number, read_filters
from service.web.labels import STEPS, label, translate_message
from workflows.calendar import local_day

bp = Blueprint("process_list", __name__)

EXPORT_LIMIT = 10_000  # a download is every match, up to this many rows
STATUS_LABELS = {
    "running": lazy_gettext("Running"),
    "completed": lazy_gettext("Completed"),
    "cancelled": lazy_gettext("Cancelled"),
    "issued": lazy_gettext("Issued to your unit"),
}
HEADERS = (
    lazy_gettext("Process no."),
    lazy_gettext("Title"),
    lazy_gettext("Unit"),
    lazy_gettext("Year"),
    lazy_gettext("State"),
    lazy_gettext("Open steps"),
    lazy_gettext("Overdue"),
    lazy_gettext("Document numbers"),
)


def _filters() -> tuple[Filters, dict[str, str], dict[str, Any]]:
    """The filters from the query string, the values as sent, and each bad one's reason; a
    step is one of those the page offers."""
    found, raw, errors = read_filters(FilterSchema())
    if found.get("step") is not None and found["step"] not in STEPS:
        errors["step"] = [translate_message(Message("not_a_choice", "Choose one of the options."))]
        found["step"] = None
    return Filters(**found), raw, errors


@bp.get("/processes")
@login_required
def index() -> ResponseReturnValue:
    """The readable processes matching the filters, newest first, a page at a time."""
    actor = current_actor()
    filters, raw, errors = _filters()
    size = int(current_app.config["INBOX_PAGE_SIZE"])
    page = page_number(size, errors)
    rows, offered = list_page(new_view(), actor, filters, limit=size + 1, offset=(page - 1) * size)
    rows = [] if errors else rows
    more, rows = len(rows) > size, rows[:size]
    return (
        render_template(
            "process_list.html",
            rows=rows,
            filters=filters,
            raw=raw,
            errors=errors,
            choices=offered,
            steps=list(STEPS),
            statuses=STATUSES,
            status_labels=STATUS_LABELS,
            page=page,
            more=more,
            filtered=any(v not in (None, False) for v in vars(filters).values()),
        ),
        400 if errors else 200,
    )


@bp.get("/processes.<any(csv, xlsx):fmt>")
@login_required
def download(fmt: str) -> ResponseReturnValue:
    """Every match (up to EXPORT_LIMIT) as CSV or Excel, with the page's headers."""
    filters, _, errors = _filters()
    if errors:
        abort(400)
    rows = process_list(new_view(), current_actor(), filters, limit=EXPORT_LIMIT)
    table = (
        [str(h) for h in HEADERS],
        [
            (
                r.id,
                r.title,
                r.unit.name,
                r.year,
                str(STATUS_LABELS[r.status]),
                "; ".join(f"{label(STEPS, s.step, s.name)} ({s.agency})" for s in r.open_steps),
                gettext("Yes") if r.overdue else "",
                "; ".join(r.documents),
            )
            for r in rows
        ],
    )
    name = f"processes-{local_day(new_uow(write=False).now()):%Y%m%d}.{fmt}"
    return send_table(fmt, gettext("Processes"), table, name)

"""The supervisors' dashboard: where the chain is stuck, who is slow, who has not reported,
the trend and last year's cycle; each table downloadable as CSV and Excel, the trend as SVG."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_date, gettext, lazy_gettext
from flask_login import login_required
from marshmallow import ValidationError, fields

from service import validation as validate
from service.db.uow import UnitOfWork
from service.errors import Conflict, Invalid
from service.exports import Table, send_table
from service.operations.supervision import remind_units
from service.permissions import Right, require
from service.queries import dashboard
from service.validation import NOT_A_WHOLE_NUMBER, Schema, date_reason
from service.web.charts import line_chart
from service.web.deps import current_actor, new_uow, new_view
from service.web.filters import page_number, read_filters
from service.web.forms import parse_date
from service.web.labels import translate_errors
from service.web.reminders import flash_conflict, flash_reminded
from workflows.calendar import local_day

bp = Blueprint("dashboard", __name__)

FORMATS = {"csv", "xlsx"}
PAGE = 100  # rows of the agencies and of the units' tree a page; the downloads hold all
TREND_SERIES = (
    ("opened", lazy_gettext("Tasks opened")),
    ("closed", lazy_gettext("Tasks completed")),
    ("overdue", lazy_gettext("Tasks overdue at the end of the day")),
)


class _Day(fields.Date):
    """A day as every form of the pages takes it: dd/mm/yyyy (an ISO date also passes)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        day = parse_date(str(value))
        if day is None:
            raise ValidationError(date_reason(str(value)))
        return day


class _Args(Schema):
    sort = fields.String(load_default="wait_p90", validate=validate.OneOf(dashboard.AGENCY_SORTS))
    show = fields.String(
        data_key="only", load_default="all", validate=validate.OneOf(dashboard.UNIT_FILTERS)
    )
    start = _Day(data_key="from", load_default=None)
    end = _Day(data_key="to", load_default=None)


def _read() -> UnitOfWork:
    return new_view()


def _args() -> dict[str, Any]:
    """The page's choices; a bad one refuses a download or the chart (the page marks it)."""
    args, _, errors = read_filters(_Args())
    if errors:
        raise Invalid(errors)
    return args


@bp.get("/dashboard")
@login_required
def index() -> ResponseReturnValue:
    """The campaign chosen in the page's picker (`?campaign=`), else the newest of the
    supervisor's jurisdiction; one not among them is marked on the newest's page."""
    found = dashboard.campaigns(_read(), current_actor())
    if not found:
        return render_template("dashboard.html", campaign=None, campaigns=[])
    chosen = request.args.get("campaign", "")
    ids = {str(c.id) for c in found}
    if chosen in ids:
        return redirect(url_for("web.dashboard.show", campaign_id=int(chosen)))
    if not chosen:
        return redirect(url_for("web.dashboard.show", campaign_id=found[0].id))
    return _page(found[0].id, {"campaign": [gettext("No such campaign.")]})


@bp.get("/dashboard/<int:campaign_id>")
@login_required
def show(campaign_id: int) -> ResponseReturnValue:
    return _page(campaign_id, {})


def _page(campaign_id: int, errors: dict[str, Any]) -> ResponseReturnValue:
    """The dashboard; a bad filter value is shown as sent with its reason (400), the valid
    ones still apply."""
    actor = current_actor()
    args, raw, bad = read_filters(_Args())
    errors = errors | bad
    page = page_number(PAGE, errors)  # of the units' tree
    agencies_page = page_number(PAGE, errors, "agencies_page")
    with _read() as read:
        campaign = dashboard.campaign(read, actor, campaign_id)
    as_of = dashboard.as_of(_read(), actor, campaign_id)
    steps = dashboard.steps(_read(), actor, campaign_id)
    # a page of each long list (one more row: is there a next page?); the downloads hold all
    agencies = dashboard.agencies(
        _read(), actor, campaign_id, args["sort"], PAGE + 1, (agencies_page - 1) * PAGE
    )
    agencies_more = len(agencies.agencies) > PAGE
    agencies = replace(agencies, agencies=agencies.agencies[:PAGE])
    (root,) = dashboard.units(_read(), actor, campaign_id, limit=1)
    units = dashboard.units(_read(), actor, campaign_id, args["show"], PAGE + 1, (page - 1) * PAGE)
    units_more, units = len(units) > PAGE, units[:PAGE]
    try:
        trend = dashboard.trend(_read(), actor, campaign_id, args["start"], args["end"])
    except Invalid as err:  # "to" before "from", or too long a range
        errors |= translate_errors(err.errors)
        args["start"] = args["end"] = None
        trend = dashboard.trend(_read(), actor, campaign_id, None, None)
    held = [s for s in steps if s.open]
    # an agency is slow only if a task of it has waited: with every wait 0, none is named;
    # the slowest are first by their 90th percentile
    slow = dashboard.agencies(_read(), actor, campaign_id, "wait_p90", PAGE).agencies
    waited = [a for a in slow if a.open and (a.wait_p90 or 0) > 0]
    # the links keep the valid choices only: a download or the chart would refuse the others
    query = {k: v for k, v in raw.items() if k not in errors}
    return (
        render_template(
            "dashboard.html",
            campaign=campaign,
            as_of=as_of,
            campaigns=dashboard.campaigns(_read(), actor),
            steps=steps,
            bottleneck=max(held, key=lambda s: (s.wait_p90 or 0, s.open), default=None),
            agencies=agencies,
            slowest=max(waited, key=lambda a: (a.wait_p90 or 0, a.open), default=None),
            units=units,
            root=root,
            page_size=PAGE,
            page=page,
            units_more=units_more,
            agencies_page=agencies_page,
            agencies_more=agencies_more,
            # each list's pager keeps the other's page
            units_at={"page": page} if page > 1 else {},
            agencies_at={"agencies_page": agencies_page} if agencies_page > 1 else {},
            trend=trend,
            compare=dashboard.compare(_read(), actor, campaign_id),
            args=args,
            raw=raw | {"campaign": request.args.get("campaign", "")},
            query=query,
            errors=errors,
            sorts=dashboard.AGENCY_SORTS,
            filters=dashboard.UNIT_FILTERS,
        ),
        400 if errors else 200,
    )


@bp.post("/dashboard/<int:campaign_id>/remind")
@login_required
def remind(campaign_id: int) -> ResponseReturnValue:
    """Nhắc việc from the units table: one unit's button, the ticked units, or every late one."""
    actor, form = current_actor(), request.form
    require(actor, Right.REMIND)
    with _read() as read:  # 403 outside one's campaigns
        dashboard.campaign(read, actor, campaign_id)
    if form.get("all"):
        rows = dashboard.units(_read(), actor, campaign_id)  # late: an open task past due
        chosen = [r.process_id for r in rows if r.overdue_open]
    elif form.get("process"):
        chosen = [_id(form["process"])]
    else:
        chosen = [_id(value) for value in form.getlist("processes")]
    back = url_for("web.dashboard.show", campaign_id=campaign_id, only=form.get("only", "all"))
    if not chosen:
        flash(gettext("Tick the units to remind first."), "error")
        return redirect(back)
    try:
        flash_reminded(remind_units(new_uow(), actor, chosen))
    except Conflict as err:
        flash_conflict(err)
    return redirect(back)


def _id(value: str) -> int:
    if not value.isdigit():
        raise Invalid({"processes": [NOT_A_WHOLE_NUMBER]})
    return int(value)


@bp.get("/dashboard/<int:campaign_id>/trend.svg")
@login_required
def trend_chart(campaign_id: int) -> ResponseReturnValue:
    """Opened, closed and overdue tasks per day, drawn server-side (an <img>: no script runs)."""
    args = _args()
    days = dashboard.trend(_read(), current_actor(), campaign_id, args["start"], args["end"])
    svg = line_chart(
        [format_date(d.day, "dd/MM") for d in days],
        {str(label): [getattr(d, key) for d in days] for key, label in TREND_SERIES},
        gettext("Tasks opened, completed and overdue per day"),
    )
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/dashboard/<int:campaign_id>/<view>.<fmt>")
@login_required
def download(campaign_id: int, view: str, fmt: str) -> ResponseReturnValue:
    """A view's table as CSV or Excel, with Vietnamese headers."""
    if fmt not in FORMATS or view not in TABLES:
        abort(404)
    title, table = TABLES[view](campaign_id, _args())
    name = f"{view}-{campaign_id}-{local_day(_read().now()):%Y%m%d}.{fmt}"
    return send_table(fmt, title, table, name)


UNIT_HEADERS = (
    lazy_gettext("Unit"),
    lazy_gettext("Level"),
    lazy_gettext("Plan sent"),
    lazy_gettext("Plan approved"),
    lazy_gettext("Reported"),
    lazy_gettext("Report due (end of day)"),
    lazy_gettext("Late"),
    lazy_gettext("Report missing"),
    lazy_gettext("Units below"),
    lazy_gettext("Units below that reported"),
    lazy_gettext("Units below late"),
    lazy_gettext("Units below missing a report"),
)


def _yes(flag: bool) -> str:
    return str(gettext("Yes") if flag else gettext("Not yet"))


FIGURES = (
    lazy_gettext("Waiting - median (working days)"),
    lazy_gettext("Waiting - P90 (working days)"),
    lazy_gettext("Overdue"),
    lazy_gettext("Times returned"),
    lazy_gettext("Done"),
)


def _figures(first: str, rows: list[dashboard.Figures]) -> Table:
    return (
        (first, gettext("Open tasks"), *(str(f) for f in FIGURES)),
        [(r.name, r.open, r.wait_p50, r.wait_p90, r.overdue, r.returns, r.done) for r in rows],
    )


def _steps(campaign_id: int, args: dict[str, Any]) -> tuple[str, Table]:
    rows = dashboard.steps(_read(), current_actor(), campaign_id)
    return gettext("By step"), _figures(gettext("Step"), rows)


def _agencies(campaign_id: int, args: dict[str, Any]) -> tuple[str, Table]:
    found = dashboard.agencies(_read(), current_actor(), campaign_id, args["sort"])
    return gettext("By agency"), _figures(gettext("Agency"), found.agencies)


def _units(campaign_id: int, args: dict[str, Any]) -> tuple[str, Table]:
    rows = dashboard.units(_read(), current_actor(), campaign_id, args["show"])
    return gettext("Unit"), (
        tuple(str(h) for h in UNIT_HEADERS),
        [
            (
                r.unit,
                r.depth,
                _yes(r.plan_submitted),
                _yes(r.plan_approved),
                _yes(r.reported),
                r.report_last_day,
                gettext("Late") if r.late else "",
                gettext("Missing") if r.missing else "",
                r.below.units,
                r.below.reported,
                r.below.late,
                r.below.missing,
            )
            for r in rows
        ],
    )


def _trend(campaign_id: int, args: dict[str, Any]) -> tuple[str, Table]:
    days = dashboard.trend(_read(), current_actor(), campaign_id, args["start"], args["end"])
    return gettext("Trend"), (
        (gettext("Day"), *(str(label) for _, label in TREND_SERIES)),
        [(d.day, d.opened, d.closed, d.overdue) for d in days],
    )


TABLES = {"steps": _steps, "agencies": _agencies, "units": _units, "trend": _trend}

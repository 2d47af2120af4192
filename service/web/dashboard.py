"""The supervisors' dashboard: where the chain is stuck, who is slow, who has not reported,
the trend and last year's cycle; each table downloadable as CSV and Excel, the trend as SVG."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from marshmallow import Schema, ValidationError, fields

from service.db.uow import UnitOfWork
from service.errors import Invalid
from service.exports import Table, to_csv, to_xlsx
from service.queries import dashboard
from service.web.charts import line_chart
from service.web.deps import current_actor, new_uow
from workflows.calendar import local_day

bp = Blueprint("dashboard", __name__)

FORMATS = {"csv", "xlsx"}
TREND_SERIES = (
    ("opened", "Việc mới giao"),
    ("closed", "Việc hoàn thành"),
    ("overdue", "Việc quá hạn cuối ngày"),
)


class _Args(Schema):
    sort = fields.String(load_default="wait_p90")
    show = fields.String(data_key="only", load_default="all")
    start = fields.Date(data_key="from", load_default=None)
    end = fields.Date(data_key="to", load_default=None)


def _read() -> UnitOfWork:
    return new_uow(write=False)


def _args() -> dict[str, Any]:
    try:
        return dict(_Args().load(request.args.to_dict()))
    except ValidationError as err:
        raise Invalid(err.messages_dict) from err


@bp.get("/dashboard")
@login_required
def index() -> ResponseReturnValue:
    """The newest campaign of the supervisor's jurisdiction."""
    found = dashboard.campaigns(_read(), current_actor())
    if not found:
        return render_template("dashboard.html", campaign=None, campaigns=[])
    return redirect(url_for("web.dashboard.show", campaign_id=found[0]["id"]))


@bp.get("/dashboard/<int:campaign_id>")
@login_required
def show(campaign_id: int) -> ResponseReturnValue:
    actor, args = current_actor(), _args()
    with _read() as read:
        campaign = dashboard.campaign(read, actor, campaign_id)
    steps = dashboard.steps(_read(), actor, campaign_id)
    agencies = dashboard.agencies(_read(), actor, campaign_id, args["sort"])
    every = dashboard.units(_read(), actor, campaign_id)
    units = (
        every
        if args["show"] == "all"
        else dashboard.units(_read(), actor, campaign_id, args["show"])
    )
    trend = dashboard.trend(_read(), actor, campaign_id, args["start"], args["end"])
    held = [s for s in steps if s["open"]]
    return render_template(
        "dashboard.html",
        campaign=campaign,
        campaigns=dashboard.campaigns(_read(), actor),
        steps=steps,
        bottleneck=max(held, key=lambda s: (s["wait_p90"] or 0, s["open"]), default=None),
        agencies=agencies,
        units=units,
        root=every[0],
        trend=trend,
        compare=dashboard.compare(_read(), actor, campaign_id),
        args=args,
        sorts=dashboard.AGENCY_SORTS,
        filters=dashboard.UNIT_FILTERS,
    )


@bp.get("/dashboard/<int:campaign_id>/trend.svg")
@login_required
def trend_chart(campaign_id: int) -> ResponseReturnValue:
    """Opened, closed and overdue tasks per day, drawn server-side (an <img>: no script runs)."""
    args = _args()
    days = dashboard.trend(_read(), current_actor(), campaign_id, args["start"], args["end"])
    svg = line_chart(
        [d["day"].strftime("%d/%m") for d in days],
        {label: [d[key] for d in days] for key, label in TREND_SERIES},
        "Số việc mới giao, hoàn thành và quá hạn theo ngày",
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
    body, mimetype = (
        (to_csv(table), "text/csv")
        if fmt == "csv"
        else (
            to_xlsx(title, table),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    )
    return send_file(BytesIO(body), mimetype=mimetype, as_attachment=True, download_name=name)


def _yes(flag: bool) -> str:
    return "Có" if flag else "Chưa"


FIGURES = (
    "Chờ - trung vị (ngày làm việc)",
    "Chờ - P90 (ngày làm việc)",
    "Quá hạn",
    "Số lần trả lại",
    "Đã xong",
)


def _figures(first: str, rows: list[dict[str, Any]]) -> Table:
    return (
        (first, "Đang mở", *FIGURES),
        [
            (
                r["name"],
                r["open"],
                r["wait_p50"],
                r["wait_p90"],
                r["overdue"],
                r["returns"],
                r["done"],
            )
            for r in rows
        ],
    )


def _steps(campaign_id: int, args: dict[str, Any]) -> tuple[str, Table]:
    rows = dashboard.steps(_read(), current_actor(), campaign_id)
    return "Theo bước", _figures("Bước", rows)


def _agencies(campaign_id: int, args: dict[str, Any]) -> tuple[str, Table]:
    found = dashboard.agencies(_read(), current_actor(), campaign_id, args["sort"])
    return "Theo cơ quan", _figures("Cơ quan", found["agencies"])


def _units(campaign_id: int, args: dict[str, Any]) -> tuple[str, Table]:
    rows = dashboard.units(_read(), current_actor(), campaign_id, args["show"])
    return "Đơn vị", (
        (
            "Đơn vị",
            "Cấp",
            "Đã gửi kế hoạch",
            "Kế hoạch đã duyệt",
            "Đã báo cáo",
            "Hạn báo cáo (hết ngày)",
            "Chậm",
            "Thiếu báo cáo",
            "Đơn vị trực thuộc",
            "Trực thuộc đã báo cáo",
            "Trực thuộc chậm",
            "Trực thuộc thiếu báo cáo",
        ),
        [
            (
                r["unit"],
                r["depth"],
                _yes(r["plan_submitted"]),
                _yes(r["plan_approved"]),
                _yes(r["reported"]),
                r["report_last_day"],
                "Chậm" if r["late"] else "",
                "Thiếu" if r["missing"] else "",
                r["below"]["units"],
                r["below"]["reported"],
                r["below"]["late"],
                r["below"]["missing"],
            )
            for r in rows
        ],
    )


def _trend(campaign_id: int, args: dict[str, Any]) -> tuple[str, Table]:
    days = dashboard.trend(_read(), current_actor(), campaign_id, args["start"], args["end"])
    return "Diễn biến", (
        ("Ngày", *(label for _, label in TREND_SERIES)),
        [(d["day"], d["opened"], d["closed"], d["overdue"]) for d in days],
    )


TABLES = {"steps": _steps, "agencies": _agencies, "units": _units, "trend": _trend}

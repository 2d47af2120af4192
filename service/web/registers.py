"""Sổ đăng ký văn bản đi: an agency's issued documents by year, as a page, CSV and Excel; an
administrator sets a register's next number from the page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from service.errors import Invalid
from service.exports import Table, send_table
from service.operations.registers import set_next_number
from service.permissions import Right, may, require
from service.queries.registers import RegisterView, register, register_agencies
from service.states import DocumentState
from service.validation import NOT_A_WHOLE_NUMBER
from service.web.deps import current_actor, new_uow, new_view
from service.web.formats import vn_date
from service.web.labels import translate_errors
from workflows.calendar import local_day

bp = Blueprint("registers", __name__, url_prefix="/registers")

TITLE = "Sổ đăng ký văn bản đi"
HEADERS = (
    "Số, ký hiệu",
    "Ngày ký",
    "Loại văn bản",
    "Trích yếu nội dung",
    "Người ký",
    "Chức vụ ký",
    "Hồ sơ (quy trình)",
    "Tình trạng bản ký",
)
STATES = {
    DocumentState.RENDERING: "Đang tạo tệp",
    DocumentState.READY: "Đã có tệp",
    DocumentState.FAILED: "Lỗi tạo tệp",
}


def _this_year() -> int:
    return local_day(new_uow(write=False).now()).year


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    """The agencies whose registers the user reads: their own; an overseer's levels'."""
    agencies = register_agencies(new_view(), current_actor())
    return render_template("registers.html", agencies=agencies, year=_this_year())


@bp.get("/<agency_code>/<int:year>")
@login_required
def show(agency_code: str, year: int) -> ResponseReturnValue:
    return _render(agency_code, year, {}, {})


@bp.post("/<agency_code>/<int:year>")
@login_required
def set_number(agency_code: str, year: int) -> ResponseReturnValue:
    """An administrator's form: the next number of one of the agency's registers."""
    actor = current_actor()
    require(actor, Right.MANAGE_REGISTER)  # 403 before the form is read
    form = {k: (request.form.get(k) or "").strip() for k in ("kind", "next_number")}
    if not form["next_number"].isdigit():
        errors = translate_errors({"next_number": [NOT_A_WHOLE_NUMBER]})
        return _render(agency_code, year, form, errors, status=422)
    try:
        set_next_number(new_uow(), actor, agency_code, year, form["kind"], int(form["next_number"]))
    except Invalid as err:
        return _render(agency_code, year, form, translate_errors(err.errors), status=422)
    flash(gettext("The register's next number is set."), "success")
    return redirect(url_for("web.registers.show", agency_code=agency_code, year=year))


@bp.get("/<agency_code>/<int:year>.<fmt>")
@login_required
def download(agency_code: str, year: int, fmt: str) -> ResponseReturnValue:
    """The register as CSV (UTF-8 with BOM) or Excel, with Vietnamese headers."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    found = register(new_view(), current_actor(), agency_code, year)
    table = _table(found)
    name = f"so-dang-ky-{agency_code}-{year}.{fmt}"
    return send_table(fmt, f"{TITLE} {year}", table, name)


def _table(found: RegisterView) -> Table:
    base = request.host_url.rstrip("/")
    return HEADERS, [
        (
            d.number_symbol,
            vn_date(d.signed_on),
            d.kind_name,
            d.subject,
            d.signed_by,
            d.signing_mark or "",
            base + url_for("web.processes.show", process_id=d.process_id),
            STATES.get(d.state, d.state),
        )
        for d in found.documents
    ]


def _render(
    agency_code: str, year: int, form: dict[str, str], errors: dict[str, Any], status: int = 200
) -> ResponseReturnValue:
    actor = current_actor()
    found = register(new_view(), actor, agency_code, year)
    return (
        render_template(
            "register.html",
            register=found,
            title=TITLE,
            manager=may(actor, Right.MANAGE_REGISTER),
            form=form,
            errors=errors,
        ),
        status,
    )

"""Administration pages: the agency tree with search, and the users (create, roles, disable,
new password, second factor reset). Every change goes through service.operations.users and is
audited there."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from service.errors import Invalid, NotFound
from service.exports import send_table
from service.imports import Rows, read_rows
from service.operations import scheduled_reorganisation as scheduling
from service.operations import users as ops
from service.operations.directory_import import COLUMNS, import_agencies
from service.operations.users_import import USER_COLUMNS, import_users
from service.permissions import Right, require
from service.queries.administration import (
    agency_tree,
    scheduled_reorganisations,
    users,
    users_sheet,
)
from service.validation import REQUIRED, date_reason
from service.web.deps import current_actor, new_uow, new_view
from service.web.formats import vn_date
from service.web.forms import parse_date
from service.web.labels import translate_errors
from workflows.calendar import local_day

bp = Blueprint("admin", __name__, url_prefix="/admin")
FIELDS = ("username", "full_name", "title", "agency")


def _q() -> str:
    return (request.args.get("q") or "").strip()[:100]


@bp.get("/agencies")
@login_required
def agencies() -> ResponseReturnValue:
    """The agency tree, or the agencies matching `q` with those above them; the
    reorganisations scheduled ahead that are not applied yet, with any refusal."""
    actor = current_actor()
    rows = agency_tree(new_view(), actor, _q())
    waiting = [s for s in scheduled_reorganisations(new_view(), actor) if s.applied_at is None]
    refusals = {s.id: translate_errors(s.refused) for s in waiting if s.refused}
    return render_template(
        "admin_agencies.html", rows=rows, q=_q(), scheduled=waiting, refusals=refusals
    )


@bp.get("/agencies/import")
@login_required
def import_form() -> ResponseReturnValue:
    require(current_actor(), Right.REORGANISE)
    return render_template("admin_import.html", columns=COLUMNS, errors={}, effective="")


@bp.post("/agencies/import")
@login_required
def import_sheet() -> ResponseReturnValue:
    """Check every row of the sheet, then write all of it or nothing: the bad rows come back
    by number and field."""
    actor = current_actor()
    require(actor, Right.REORGANISE)  # 403 before the file is read
    upload = request.files.get("file")
    effective = (request.form.get("effective") or "").strip() or vn_date(
        local_day(new_uow(write=False).now())
    )
    try:
        if upload is None or not upload.filename:
            raise Invalid({"file": [REQUIRED]})
        day = parse_date(effective)  # dd/mm/yyyy as typed (ISO also passes)
        if day is None:
            raise Invalid({"effective": [date_reason(effective)]})
        rows = read_rows(upload.filename, upload.read(5_000_000))
        codes = import_agencies(new_uow(), actor, rows, day)
    except Invalid as err:
        page = render_template(
            "admin_import.html",
            columns=COLUMNS,
            errors=translate_errors(err.errors),
            effective=effective,
        )
        return page, 422
    flash(gettext("%(num)d agencies imported.", num=len(codes)), "success")
    return redirect(url_for("web.admin.agencies"))


REORGANISE_FIELDS = ("action", "code", "name", "kind", "parent", "admin_code", "into",
                     "open_work_to", "successor", "effective")  # fmt: skip


def _reorganise_page(form: dict[str, str], errors: Any, status: int = 200) -> ResponseReturnValue:
    page = render_template(
        "admin_reorganise.html", form=form, errors=errors, actions=tuple(scheduling.ACTIONS)
    )
    return page, status


@bp.get("/agencies/reorganise")
@login_required
def reorganise_form() -> ResponseReturnValue:
    require(current_actor(), Right.REORGANISE)
    code = (request.args.get("code") or "").strip()[:80]
    return _reorganise_page({"action": "rename", "code": code}, {})


@bp.post("/agencies/reorganise")
@login_required
def reorganise() -> ResponseReturnValue:
    """Apply one dated reorganisation, or schedule it when its day is after today
    (service.operations.scheduled_reorganisation); a bad value comes back on its field."""
    actor = current_actor()
    require(actor, Right.REORGANISE)
    form = {k: (request.form.get(k) or "").strip() for k in REORGANISE_FIELDS}
    action = form["action"]
    if action not in scheduling.ACTIONS:
        return _reorganise_page(form, {"action": [gettext("Choose a reorganisation.")]}, 422)
    required = ("code", "effective", *scheduling.ACTIONS[action][2])
    errors = {k: [gettext("Please fill in this field.")] for k in required if not form[k]}
    if errors:
        return _reorganise_page(form, errors, 422)
    try:
        done = _apply(actor, form)
    except Invalid as err:
        found = translate_errors(err.errors)
        if "agency" in found:  # the agency being reorganised is the form's `code`
            found["code"] = found.pop("agency")
        return _reorganise_page(form, found, 422)
    except NotFound:
        reason = gettext("No agency has the code %(code)s.", code=form["code"])
        return _reorganise_page(form, {"code": [reason]}, 422)
    if isinstance(done, scheduling.Scheduled):
        day = vn_date(done.effective)
        message = gettext("%(agency)s: the reorganisation will be applied on %(day)s.")
        flash(message % {"agency": form["code"], "day": day}, "success")
        return redirect(url_for("web.admin.agencies"))
    flash(gettext("%(agency)s: the reorganisation is applied.", agency=done["name"]), "success")
    return redirect(url_for("web.admin.agencies", q=done["name"]))


def _apply(actor: Any, form: dict[str, str]) -> dict[str, Any] | scheduling.Scheduled:
    """Apply the form's reorganisation now, or schedule it for its day.

    :raise Invalid: a bad value, by field. :raise NotFound: no such agency."""
    effective = parse_date(form["effective"])  # dd/mm/yyyy as typed (ISO also passes)
    if effective is None:
        raise Invalid({"effective": [date_reason(form["effective"])]})
    action, uow = form["action"], new_uow()
    takes = scheduling.ACTIONS[action][1]
    arguments: dict[str, Any] = {k: form[k] or None for k in takes if k != "serves"}
    if action == "split":
        arguments["into"] = [c for c in form["into"].replace(",", " ").split() if c]
    if effective > local_day(uow.now()):
        arguments = {k: v for k, v in arguments.items() if v is not None}
        return scheduling.schedule_reorganisation(
            uow, actor, action=action, agency=form["code"], arguments=arguments, effective=effective
        )
    return scheduling.apply(
        uow, actor, action=action, agency=form["code"], arguments=arguments, effective=effective
    )


def _users_page(form: dict[str, str], errors: Any, status: int = 200) -> ResponseReturnValue:
    rows = users(new_view(), current_actor(), _q())
    page = render_template(
        "admin_users.html",
        rows=rows,
        q=_q(),
        form=form,
        errors=errors,
        roles=ops.GIVEN_ROLES,
    )
    return page, status


@bp.get("/users")
@login_required
def user_list() -> ResponseReturnValue:
    return _users_page({}, {})


@bp.post("/users")
@login_required
def create() -> ResponseReturnValue:
    """Create a user; their one-time password is shown once, in the message."""
    actor = current_actor()
    require(actor, Right.MANAGE_USERS)  # 403 before the form is read
    form = {k: (request.form.get(k) or "").strip() for k in FIELDS}
    required = ("username", "full_name", "agency")
    errors = {k: [gettext("Please fill in this field.")] for k in required if not form[k]}
    if errors:
        return _users_page(form, errors, 422)
    try:
        password = ops.create_user(new_uow(), actor, **form, roles=request.form.getlist("roles"))
    except Invalid as err:
        return _users_page(form, translate_errors(err.errors), 422)
    flash(
        gettext(
            "User %(user)s created; one-time password: %(password)s",
            user=form["username"],
            password=password,
        ),
        "success",
    )
    return redirect(url_for("web.admin.user_list", q=form["username"]))


@bp.post("/users/<username>/roles")
@login_required
def roles(username: str) -> ResponseReturnValue:
    try:
        ops.set_roles(new_uow(), current_actor(), username, request.form.getlist("roles"))
    except Invalid as err:
        return _users_page({}, translate_errors(err.errors), 422)
    flash(gettext("The roles of %(user)s are set.", user=username), "success")
    return redirect(url_for("web.admin.user_list", q=username))


@bp.post("/users/<username>/active")
@login_required
def active(username: str) -> ResponseReturnValue:
    enable = request.form.get("active") == "1"
    try:
        ops.set_active(new_uow(), current_actor(), username, enable)
    except Invalid as err:
        return _users_page({}, translate_errors(err.errors), 422)
    message = gettext("%(user)s is enabled.") if enable else gettext("%(user)s is disabled.")
    flash(message % {"user": username}, "success")
    return redirect(url_for("web.admin.user_list", q=username))


@bp.post("/users/<username>/password")
@login_required
def password(username: str) -> ResponseReturnValue:
    new = ops.reset_password(new_uow(), current_actor(), username)
    flash(
        gettext("New one-time password for %(user)s: %(password)s", user=username, password=new),
        "success",
    )
    return redirect(url_for("web.admin.user_list", q=username))


@bp.post("/users/<username>/second-factor")
@login_required
def second_factor(username: str) -> ResponseReturnValue:
    ops.reset_second_factor(new_uow(), current_actor(), username)
    flash(
        gettext("%(user)s sets up a second factor again at their next login.", user=username),
        "success",
    )
    return redirect(url_for("web.admin.user_list", q=username))


def _sheet() -> Rows:
    """The uploaded sheet's rows. :raise Invalid: (`file`) none, or not a sheet."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid({"file": [REQUIRED]})
    return read_rows(upload.filename, upload.read(5_000_000))


@bp.get("/users/import")
@login_required
def users_import_form() -> ResponseReturnValue:
    require(current_actor(), Right.MANAGE_USERS)
    return render_template("admin_import.html", columns=USER_COLUMNS, errors={}, users=True)


@bp.post("/users/import")
@login_required
def import_users_sheet() -> ResponseReturnValue:
    """Check every row, then create every user or none; the one-time passwords are shown once,
    on this answer."""
    actor = current_actor()
    require(actor, Right.MANAGE_USERS)  # 403 before the file is read
    try:
        created = import_users(new_uow(), actor, _sheet())
    except Invalid as err:
        errors = translate_errors(err.errors)
        page = render_template("admin_import.html", columns=USER_COLUMNS, errors=errors, users=True)
        return page, 422
    page = render_template(
        "admin_import.html", columns=USER_COLUMNS, errors={}, users=True, created=created
    )
    return page, 201, {"Cache-Control": "no-store"}  # passwords: never from a cache


@bp.get("/users/export.<any(csv, xlsx):fmt>")
@login_required
def export_users(fmt: str) -> ResponseReturnValue:
    """Every user with their roles, by agency, in the import's columns."""
    actor = current_actor()
    uow = new_uow(write=False)
    name = f"nguoi-dung-{local_day(uow.now()):%Y%m%d}.{fmt}"
    return send_table(fmt, gettext("Users"), users_sheet(uow, actor), name)

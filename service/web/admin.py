"""Administration pages: the agency tree with search, and the users (create, roles, disable,
new password, second factor reset). Every change goes through service.operations.users and is
audited there."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from service.errors import Invalid
from service.imports import read_rows
from service.operations import users as ops
from service.operations.directory_import import COLUMNS, import_agencies
from service.permissions import Right, require
from service.queries.administration import agency_tree, users
from service.validation import NOT_A_DATE, REQUIRED
from service.web.deps import current_actor, new_uow
from service.web.labels import translate_errors
from workflows.calendar import local_day

bp = Blueprint("admin", __name__, url_prefix="/admin")
FIELDS = ("username", "full_name", "title", "agency")


def _q() -> str:
    return (request.args.get("q") or "").strip()[:100]


@bp.get("/agencies")
@login_required
def agencies() -> ResponseReturnValue:
    """The agency tree, or the agencies matching `q` with those above them."""
    rows = agency_tree(new_uow(write=False), current_actor(), _q())
    return render_template("admin_agencies.html", rows=rows, q=_q())


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
    effective = (request.form.get("effective") or "").strip() or local_day(
        new_uow(write=False).now()
    ).isoformat()
    try:
        if upload is None or not upload.filename:
            raise Invalid({"file": [REQUIRED]})
        try:
            day = date.fromisoformat(effective)
        except ValueError:
            raise Invalid({"effective": [NOT_A_DATE]}) from None
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


def _users_page(form: dict[str, str], errors: Any, status: int = 200) -> ResponseReturnValue:
    rows = users(new_uow(write=False), current_actor(), _q())
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

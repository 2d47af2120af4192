"""Ủy quyền: a leader names a substitute for a date range, and may end it early."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import login_required

from service.errors import Invalid
from service.operations.actors import Actor
from service.operations.delegations import KINDS, grant_delegation, revoke_delegation
from service.permissions import Right, may
from service.queries.delegations import delegations
from service.queries.directory import Colleague, colleagues
from service.validation import REQUIRED, date_reason
from service.web.deps import current_actor, new_uow, new_view
from service.web.forms import parse_date
from service.web.labels import translate_errors

bp = Blueprint("delegations", __name__, url_prefix="/delegations")


@bp.get("")
@login_required
def index() -> ResponseReturnValue:
    return _render(current_actor(), {}, {})


@bp.post("")
@login_required
def grant() -> ResponseReturnValue:
    """Name a substitute; the form comes back with the reasons when something is wrong."""
    actor = current_actor()
    form = {
        k: (request.form.get(k) or "").strip() for k in ("substitute", "starts", "ends", "kind")
    }
    errors: dict[str, Any] = {}
    starts, ends = parse_date(form["starts"]), parse_date(form["ends"])
    for key, value in (("starts", starts), ("ends", ends)):
        if value is None:
            errors[key] = [date_reason(form[key])]
    if not form["substitute"]:
        errors["substitute"] = [REQUIRED]
    if errors:
        return _render(actor, form, translate_errors(errors), status=422)
    assert starts is not None and ends is not None
    try:
        grant_delegation(new_uow(), actor, form["substitute"], starts, ends, form["kind"])
    except Invalid as err:
        return _render(actor, form, translate_errors(err.errors), status=422)
    flash(gettext("The substitute is named."), "success")
    return redirect(url_for("web.delegations.index"))


@bp.post("/<int:delegation_id>/revoke")
@login_required
def revoke(delegation_id: int) -> ResponseReturnValue:
    revoke_delegation(new_uow(), current_actor(), delegation_id)
    flash(gettext("The substitution has ended."), "info")
    return redirect(url_for("web.delegations.index"))


def _render(
    actor: Actor, form: dict[str, str], errors: dict[str, Any], status: int = 200
) -> ResponseReturnValue:
    leader = may(actor, Right.NAME_SUBSTITUTE)
    return (
        render_template(
            "delegations.html",
            rows=delegations(new_view(), actor),
            leader=leader,
            people=_by_agency(colleagues(new_view(), actor)) if leader else [],
            kinds=KINDS,
            form=form,
            errors=errors,
        ),
        status,
    )


def _by_agency(people: list[Colleague]) -> list[tuple[str, list[Colleague]]]:
    """People grouped by agency, in the order they come (the leader's own agency first)."""
    groups: dict[str, list[Colleague]] = {}
    for person in people:
        groups.setdefault(person.agency, []).append(person)
    return list(groups.items())

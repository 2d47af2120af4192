"""The security log page (administrators), and what writes to the log without a view of its
own: the API's token requests, refused requests (403) and rate-limit hits (429)."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from service.errors import Invalid, Message
from service.operations import security_log, sessions
from service.operations.security_log import Kind
from service.validation import date_reason
from service.web.deps import current_actor, log_security, new_uow, wall_clock
from service.web.forms import parse_date
from service.web.labels import translate_errors

bp = Blueprint("security", __name__)

PER_PAGE = 50
TOKEN_ENDPOINT = "auth.Token"  # noqa: S105  # the API's login view, not a secret


def filters(values: dict[str, str]) -> dict[str, object]:
    """The log's filters from a query string (the page and the API alike).

    :raise Invalid: naming the field: an unknown kind, a malformed date (dd/mm/yyyy or ISO)
        or one not in the calendar, a bad page."""
    errors: dict[str, list[str]] = {}
    found: dict[str, object] = {}
    if values.get("kind"):
        try:
            found["kind"] = Kind(values["kind"])
        except ValueError:
            errors["kind"] = [
                Message(
                    "not_a_choice", "Choose one of the options.", choices=[k.value for k in Kind]
                )
            ]
    if values.get("user"):
        found["username"] = values["user"].strip()[:80]
    if values.get("date"):
        day = parse_date(values["date"])
        if day is None:
            errors["date"] = [date_reason(values["date"])]
        else:
            found["day"] = day
    page = values.get("page") or "1"
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        errors["page"] = [Message("too_small", "Must be at least %(min)s.", min=1)]
    else:
        found["page"] = int(page)
    if errors:
        raise Invalid(errors)
    return found


@bp.get("/security-log")
@login_required
def index() -> ResponseReturnValue:
    values = {k: request.args.get(k, "") for k in ("kind", "user", "date", "page")}
    try:
        chosen = filters(values)
    except Invalid as err:
        chosen, errors = {}, err.errors
    else:
        errors = {}
    page = security_log.read(
        new_uow(write=False),
        current_actor(),
        per_page=PER_PAGE,
        **chosen,  # type: ignore[arg-type]
    )
    shown = values | ({} if errors.get("date") or not chosen.get("day") else {"date": ""})
    return (
        render_template(
            "security_log.html",
            page=page,
            values=shown,
            day=chosen.get("day"),
            errors=translate_errors(errors),
            kinds=list(Kind),
        ),
        400 if errors else 200,
    )


@bp.post("/security-log/end-sessions")
@login_required
def end_sessions() -> ResponseReturnValue:
    """An administrator ends every session and token of a user."""
    username = (request.form.get("username") or "").strip()
    actor = current_actor()
    ended = sessions.end_user_sessions(new_uow(), actor, username, wall_clock())
    flash(
        ngettext(
            "%(num)d session of %(user)s ended.",
            "%(num)d sessions of %(user)s ended.",
            ended,
            user=username,
        ),
        "info",
    )
    return redirect(url_for("web.security.index", user=username))


def log_outcomes(response: Response) -> Response:
    """After every request: the API's token requests, refusals and rate-limit hits. The
    request's own transaction is over by now; each entry has its own."""
    status = response.status_code
    if request.endpoint == TOKEN_ENDPOINT and request.method == "POST" and status in (200, 401):
        _token_request(response)
    elif status == 403:
        log_security(Kind.FORBIDDEN, user_id=_user_id(), request_line=True)
    elif status == 429:
        log_security(
            Kind.RATE_LIMITED, user_id=_user_id(), username=_username_tried(), request_line=True
        )
    return response


def _token_request(response: Response) -> None:
    body = response.get_json(silent=True) or {}
    username = _username_tried()
    if response.status_code == 200:
        log_security(Kind.LOGIN, username=username, detail="api token")
    elif body.get("error") in {"otp_invalid", "otp_not_enrolled"}:
        log_security(Kind.SECOND_FACTOR_FAILED, username=username, detail="api token")
    elif body.get("error") != "otp_required":  # asking for the code is no failure
        log_security(Kind.LOGIN_FAILED, username=username, detail="api token")


def _username_tried() -> str | None:
    body = request.get_json(silent=True) if request.is_json else request.form
    name = body.get("username") if isinstance(body, dict) or body is request.form else None
    return str(name).strip()[:80] if name else None


def _user_id() -> int | None:
    actor = g.get("actor")
    if actor is not None:
        return int(actor.user_id)
    if not request.path.startswith("/api/") and current_user.is_authenticated:
        return int(current_user.actor.user_id)
    return None

"""Logging in and out, and the language switch."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import qrcode
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from qrcode.image.svg import SvgPathImage

from service.errors import Unauthorized
from service.operations import second_factor, sessions
from service.operations.actors import Actor, authenticate
from service.operations.security_log import Kind
from service.permissions import Right, may
from service.web.deps import SessionUser, current_actor, log_security, new_uow, wall_clock
from service.web.extensions import (
    address_limit,
    failed,
    limiter,
    login_key,
    login_limit,
    pending_key,
    remote_address,
)
from service.web.formats import LOCALES

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str = "web.auth.home") -> str:
    """A local path to go back to, never another site (`//evil.example`, `https://…`)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for(default)


PENDING_SECONDS = 300  # between the password and the code


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, key_func=login_key, methods=["POST"])
@limiter.shared_limit(
    address_limit, "login-address", key_func=remote_address, methods=["POST"], deduct_when=failed
)
def login() -> ResponseReturnValue:
    """The login form; on success, the second factor when the user needs one, then back to the
    page that asked for it."""
    next_url = request.values.get("next")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(next_url))
    error = None
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        try:
            actor = authenticate(new_uow(write=False), username, request.form.get("password") or "")
        except Unauthorized:
            log_security(Kind.LOGIN_FAILED, username=username)
            error = gettext("Wrong username or password.")
        else:
            if not actor.needs_second_factor:
                _start_session(actor)
                return redirect(safe_next(next_url))
            _new_session(pending={"u": actor.user_id, "name": actor.username, "at": _now()})
            step = "web.auth.code" if actor.otp_enrolled else "web.auth.enrol"
            return redirect(url_for(step, next=next_url))
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username, next=next_url), status


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(login_limit, key_func=pending_key, methods=["POST"])
def code() -> ResponseReturnValue:
    """The second step for an enrolled user: the authenticator's code, or a recovery code."""
    next_url = request.values.get("next")
    user_id = _pending_user()
    if user_id is None:
        return redirect(url_for("web.auth.login", next=next_url))
    error = None
    if request.method == "POST":
        try:
            actor = second_factor.verify(new_uow(), user_id, request.form.get("code") or "")
        except Unauthorized:
            log_security(Kind.SECOND_FACTOR_FAILED, user_id=user_id)
            error = gettext("The code is not valid. Enter the current code from your app.")
        else:
            _start_session(actor)
            return redirect(safe_next(next_url))
    status = 401 if error else 200
    return render_template("login_code.html", error=error, next=next_url), status


@bp.route("/login/enrol", methods=["GET", "POST"])
@limiter.limit(login_limit, key_func=pending_key, methods=["POST"])
def enrol() -> ResponseReturnValue:
    """First login of an administrator or signer: scan the secret, confirm with a first code,
    and keep the recovery codes shown once."""
    next_url = request.values.get("next")
    user_id = _pending_user()
    if user_id is None:
        return redirect(url_for("web.auth.login", next=next_url))
    pending = session["pending"]
    secret = pending.setdefault("secret", second_factor.new_secret())
    session.modified = True
    error = None
    if request.method == "POST":
        try:
            actor, codes = second_factor.enrol(
                new_uow(), user_id, secret, request.form.get("code") or ""
            )
        except Unauthorized:
            log_security(Kind.SECOND_FACTOR_FAILED, user_id=user_id, detail="enrolment")
            error = gettext("The code is not valid. Enter the current code from your app.")
        else:
            _start_session(actor)
            return render_template("recovery_codes.html", codes=codes, next=safe_next(next_url))
    uri = second_factor.provisioning_uri(secret, pending["name"])
    svg = qrcode.make(uri, image_factory=SvgPathImage).to_string()
    qr = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    status = 401 if error else 200
    page = render_template(
        "login_enrol.html", error=error, next=next_url, secret=secret, uri=uri, qr=qr
    )
    return page, status


def _now() -> float:
    return datetime.now(UTC).timestamp()


def _new_session(**values: Any) -> None:
    """Clear the session, whatever it held, keeping only the language: no fixation."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.update(values)


def _pending_user() -> int | None:
    """The user who gave the right password a moment ago and owes the second factor."""
    pending = session.get("pending")
    if not pending or _now() - float(pending["at"]) > PENDING_SECONDS:
        session.pop("pending", None)
        return None
    return int(pending["u"])


def _start_session(actor: Actor) -> None:
    """A new server-side session; the cookie carries its token, nothing else of the login."""
    agent = request.user_agent.string or None
    token = sessions.open_session(new_uow(), actor, wall_clock(), request.remote_addr, agent)
    _new_session(sid=token)
    session.permanent = True
    login_user(SessionUser(actor))
    log_security(Kind.LOGIN, user_id=actor.user_id)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session on the server: a copy of the cookie opens nothing afterwards."""
    user_id, session_id = current_actor().user_id, current_user.session_id
    if session_id is not None:
        sessions.end(new_uow(), session_id, wall_clock(), "logout")
    log_security(Kind.LOGOUT, user_id=user_id)
    logout_user()
    _new_session()
    flash(gettext("You have logged out."), "info")
    return redirect(url_for("web.auth.login"))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch between Vietnamese and English; the choice stays in the session."""
    lang = request.form.get("lang")
    if lang in LOCALES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next")))


@bp.get("/")
def home() -> ResponseReturnValue:
    """Where a user lands: the inbox if their roles act on tasks, else the processes they read
    (an auditor's work is finding and reading them)."""
    if current_user.is_authenticated and not may(current_actor(), Right.WORK_INBOX):
        return redirect(url_for("web.process_list.index"))
    return redirect(url_for("web.inbox.index"))

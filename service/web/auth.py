"""Logging in and out, and the language switch."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from service.errors import Unauthorized
from service.operations.actors import authenticate
from service.web.deps import SessionUser, new_uow
from service.web.extensions import limiter, login_key, login_limit
from service.web.i18n import LOCALES

bp = Blueprint("auth", __name__)


def safe_next(target: str | None, default: str = "web.inbox.index") -> str:
    """A local path to go back to, never another site (`//evil.example`, `https://…`)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for(default)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, key_func=login_key, methods=["POST"])
def login() -> ResponseReturnValue:
    """The login form; on success, back to the page that asked for it."""
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
            error = gettext("Wrong username or password.")
        else:
            lang = session.get("lang")
            session.clear()  # a new session for the new login: no fixation
            if lang:
                session["lang"] = lang
            session.permanent = True
            session["login_at"] = datetime.now(UTC).timestamp()
            login_user(SessionUser(actor))
            return redirect(safe_next(next_url))
    status = 401 if error else 200
    return render_template("login.html", error=error, username=username, next=next_url), status


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
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
    return redirect(url_for("web.inbox.index"))

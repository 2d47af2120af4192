"""The pages: a staff inbox, task forms, process pages, in Vietnamese (English on request).

`init_app` sets the session, CSRF, rate limit, translation and security-header machinery and
registers the `web` blueprint with its parts. The pages call the same operations and queries as
the JSON API; they hold no business rules and open no database session of their own.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from service.db.sealed import KeyMismatch
from service.db.session import DATABASE_AWAY
from service.errors import DomainError, Invalid, Unauthorized
from service.permissions import Right, may
from service.web import (
    account,
    admin,
    audit,
    auth,
    conversations,
    dashboard,
    delegations,
    documents,
    formats,
    inbox,
    incidents,
    labels,
    notices,
    notifications,
    process_list,
    processes,
    registers,
    reminders,
    security,
    tasks,
)
from service.web.catalogs import compile_catalogs
from service.web.deps import load_user
from service.web.extensions import (
    address_limit,
    babel,
    failed,
    limiter,
    login_key,
    login_limit,
    login_manager,
    remote_address,
)

TRANSLATIONS = Path(__file__).parents[1] / "translations"
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def _secure_cookies(app: Flask) -> bool:
    chosen = os.environ.get("APP_SECURE_COOKIES", "")
    return chosen == "1" or (chosen != "0" and app.extensions["settings"].production)


def init_app(app: Flask) -> None:
    lifetime = int(app.config.get("TOKEN_TTL_SECONDS", 8 * 3600))
    app.config.update(  # Flask has defaults for these: set them outright
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=lifetime),
        SESSION_COOKIE_NAME="antq_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # HTTPS only in production (APP_SECURE_COOKIES=0 opts out, e.g. a closed network on
        # plain HTTP); plain http://127.0.0.1 in development and tests unless set to 1
        SESSION_COOKIE_SECURE=_secure_cookies(app),
    )
    for key, value in {
        "BABEL_DEFAULT_LOCALE": formats.DEFAULT_LOCALE,
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "BABEL_TRANSLATION_DIRECTORIES": str(TRANSLATIONS),
        "LOGIN_RATE_LIMIT": "5 per minute; 30 per hour",
        "LOGIN_ADDRESS_LIMIT": "20 per 10 minutes",
        "RATELIMIT_HEADERS_ENABLED": True,  # Retry-After on a 429
        # one process: in memory; several (gunicorn workers): e.g. redis://…
        "RATELIMIT_STORAGE_URI": os.environ.get("APP_RATELIMIT_STORAGE_URI", "memory://"),
        "WTF_CSRF_TIME_LIMIT": lifetime,
        "INBOX_PAGE_SIZE": 20,
        "DRAFT_AUTOSAVE_SECONDS": 30,  # a task form, while it changes
    }.items():
        app.config.setdefault(key, value)
    compile_catalogs(TRANSLATIONS, app.logger)
    formats.load_locale_data()  # before gunicorn forks its workers: none loads its own
    babel.init_app(
        app, locale_selector=formats.select_locale, timezone_selector=formats.select_timezone
    )
    # One per app: its exemptions hold blueprints, and the API's docs blueprint holds its app,
    # so a module-level one kept every app a process made alive (each test's).
    csrf = CSRFProtect(app)
    for blueprint in list(app.blueprints.values()):  # the JSON API: bearer tokens, no cookies
        if (blueprint.url_prefix or "").startswith("/api/"):
            csrf.exempt(blueprint)
    limiter.init_app(app)
    # the API's token request is a login too: the same limit, wrapped around its view
    token = limiter.limit(login_limit, key_func=login_key, methods=["POST"])
    spray = limiter.shared_limit(
        address_limit,
        "login-address",
        key_func=remote_address,
        methods=["POST"],
        deduct_when=failed,
    )
    view: Any = app.view_functions["auth.Token"]
    app.view_functions["auth.Token"] = spray(token(view))
    _limit_in_views_only(app)
    login_manager.init_app(app)
    login_manager.login_view = "web.auth.login"
    login_manager.login_message = lazy_gettext("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.user_loader(load_user)
    web = Blueprint(
        "web",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/assets",
    )
    web.register_error_handler(Exception, _page_error)
    for part in (
        auth,
        inbox,
        tasks,
        processes,
        process_list,
        conversations,
        documents,
        notifications,
        delegations,
        audit,
        dashboard,
        registers,
        incidents,
        account,
        security,
        reminders,
        admin,
    ):
        web.register_blueprint(part.bp)
    app.register_blueprint(web)
    app.before_request(_expire_session)
    app.after_request(_security_headers)
    app.after_request(security.log_outcomes)
    _pages_for_http_errors(app)
    app.jinja_env.filters.update(
        typed=formats.typed,
        vn_date=formats.vn_date,
        vn_datetime=formats.vn_datetime,
        as_of=formats.as_of,
        money=formats.money,
        number=formats.number,
        file_size=formats.file_size,
        last_day=formats.last_day,
        days_left=formats.days_left,
        waited=formats.waited,
    )
    app.jinja_env.globals.update(
        step_label=lambda code, name=None: labels.label(labels.STEPS, code, name),
        role_label=lambda code: labels.label(labels.ROLES, code),
        process_label=lambda code, name=None: labels.label(labels.PROCESSES, code, name),
        decision_label=lambda code: labels.label(labels.DECISIONS, code),
        deadline_label=lambda code: labels.label(labels.DEADLINE_STATES, code),
        status_label=lambda code: labels.label(labels.PROCESS_STATUSES, code),
        action_label=lambda code: labels.label(labels.ACTIONS, code),
        security_label=lambda code: labels.label(labels.SECURITY_KINDS, code),
        can=lambda right: current_user.is_authenticated and may(current_user.actor, Right(right)),
        choice_label=labels.choice_label,
        kind_label=lambda code: labels.label(labels.DELEGATION_KINDS, code),
        html_lang=formats.html_lang,
        notice_text=notices.notice_text,
    )


def _limit_in_views_only(app: Flask) -> None:
    """Every limit is a view's (the logins and the token request), checked by its decorator
    when the view runs. flask-limiter's `before_request` hook looks for limits of the whole
    app or a blueprint in every request (a tenth of an API read's time): dropped unless some
    are set (RATELIMIT_DEFAULT, RATELIMIT_APPLICATION, RATELIMIT_META, a blueprint's). Its
    `after_request` stays: it counts a failed login against the address."""
    manager = limiter.limit_manager
    if (
        manager.default_limits
        or manager.application_limits
        or app.config.get("RATELIMIT_META")
        or manager._blueprint_limits  # noqa: SLF001
    ):
        return
    app.before_request_funcs[None].remove(limiter._check_request_limit)  # noqa: SLF001


def _expire_session() -> ResponseReturnValue | None:
    """A page session found expired (idle, or past its lifetime) by the user loader: say so,
    and send the user to log in again. The loader already ended it on the server."""
    if request.path.startswith("/api/") or (request.endpoint or "").endswith(".static"):
        return None  # bearer tokens, and assets: no session to check, no user to load
    if current_user.is_authenticated or not g.get("session_expired"):
        return None
    logout_user()
    session.pop("sid", None)
    task_id = (request.view_args or {}).get("task_id")
    if request.endpoint in KEPT_ON_EXPIRY and g.get("expired_user") and task_id is not None:
        # a form sent as the session expired: kept as the task's draft, restored after login
        kept = tasks.keep_expired(int(task_id), g.expired_user)
        back = url_for("web.tasks.show", task_id=task_id, restored=1 if kept else None)
        login = url_for("web.auth.login", next=back)
        if request.accept_mimetypes.best == "application/json":  # the page's autosave
            return {"expired": True, "kept": kept, "login": login}, 401
        if kept:
            flash(
                gettext("Your session had expired. What you typed is kept: log in again."), "info"
            )
        else:
            flash(gettext("Your session has expired; please log in again."), "info")
        return redirect(login, 303)
    flash(gettext("Your session has expired; please log in again."), "info")
    if request.blueprint and request.blueprint.startswith("web"):
        return redirect(url_for("web.auth.login", next=request.full_path))
    return None


KEPT_ON_EXPIRY = frozenset({"web.tasks.complete", "web.tasks.draft"})


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if (
        request.blueprint
        and request.blueprint.startswith("web")
        and response.mimetype == "text/html"
    ):
        headers.setdefault("Cache-Control", "no-store")  # pages show one user's work
    return response


ERROR_TITLES = {
    400: lazy_gettext("The request could not be understood"),
    401: lazy_gettext("Please log in"),
    403: lazy_gettext("You do not have access to this page"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("This action is not available here"),
    409: lazy_gettext("Already done"),
    413: lazy_gettext("The file is too large"),
    429: lazy_gettext("Too many attempts"),
    500: lazy_gettext("Something went wrong"),
    503: lazy_gettext("The service is briefly unavailable"),
}
ERROR_TEXTS = {
    400: lazy_gettext("Please go back and try again."),
    403: lazy_gettext("This page belongs to another agency or role."),
    404: lazy_gettext("The address may be mistyped, or the page no longer exists."),
    405: lazy_gettext("Please go back and use the buttons on the page."),
    409: lazy_gettext("Someone else changed this a moment ago."),
    413: lazy_gettext("Files of up to 20 MB may be attached."),
    429: lazy_gettext("Please wait a minute before trying again."),
    500: lazy_gettext("The error has been logged. Please try again in a moment."),
    503: lazy_gettext(
        "The database is not answering (a restart or maintenance). Please try again in a minute."
    ),
}
MISCONFIGURED_TITLE = lazy_gettext("The service is misconfigured")
MISCONFIGURED_TEXT = lazy_gettext(
    "Second factors cannot be checked until an administrator corrects the server's settings. "
    "Please try again later or tell your administrator."
)
RETRY_AFTER_SECONDS = 30  # a person reloads the page; the API's clients retry sooner


def error_page(status: int, message: str | None = None) -> ResponseReturnValue:
    title = labels.label({str(k): v for k, v in ERROR_TITLES.items()}, str(status))
    text = message or labels.label({str(k): v for k, v in ERROR_TEXTS.items()}, str(status), "")
    return render_template("error.html", status=status, title=title, message=text), status


def unavailable_page(
    title: Any = ERROR_TITLES[503], message: Any = ERROR_TEXTS[503]
) -> ResponseReturnValue:
    """503 while the database is away (as the API answers), or misconfigured. The template is
    rendered straight from the environment: the context processors and the layout would ask
    the database for the logged-in user and their counts, and fail again inside the handler."""
    page = current_app.jinja_env.get_template("unavailable.html").render(
        title=title, message=message, request=request
    )
    return page, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def _page_error(err: Exception) -> ResponseReturnValue:
    """Every error on a page becomes a polite page in the user's language."""
    if isinstance(err, DATABASE_AWAY):
        current_app.logger.warning("database unavailable: %s", err.orig)
        return unavailable_page()
    if isinstance(err, KeyMismatch):  # the operator's to fix: the log says how
        current_app.logger.error("service misconfigured: %s", err)
        return unavailable_page(MISCONFIGURED_TITLE, MISCONFIGURED_TEXT)
    if isinstance(err, Unauthorized):
        logout_user()
        return redirect(url_for("web.auth.login", next=request.full_path))
    if isinstance(err, DomainError):
        if isinstance(err, Invalid):
            return error_page(400)
        return error_page(err.status, labels.error_message(err.code, err.message, err.params))
    if isinstance(err, CSRFError):
        task_id = (request.view_args or {}).get("task_id")
        if request.endpoint in KEPT_ON_EXPIRY and task_id and current_user.is_authenticated:
            try:
                return tasks.resend(int(task_id))
            except DomainError:
                pass
        return error_page(
            400, gettext("The form had expired. Please reload the page and send it again.")
        )
    if isinstance(err, HTTPException):
        return error_page(err.code or 500)
    current_app.logger.exception("unexpected error on a page")
    return error_page(500)


def _pages_for_http_errors(app: Flask) -> None:
    """Unknown addresses outside /api/ get the page too; the API keeps its JSON answers."""
    handlers = app.error_handler_spec[None][None]
    api_handler: Any = handlers.get(HTTPException)

    def handle(err: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/api/") and api_handler is not None:
            result: ResponseReturnValue = api_handler(err)
            return result
        if request.path.startswith("/api/"):
            return err
        return _page_error(err)

    app.register_error_handler(HTTPException, handle)

"""The Flask extensions of the pages, bound to an app by `service.web.init_app`."""

from __future__ import annotations

from flask import Response, current_app, request, session
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager

babel = Babel()
login_manager = LoginManager()
limiter = Limiter(get_remote_address)  # storage: config RATELIMIT_STORAGE_URI


def login_limit() -> str:
    """Attempts allowed for one username from one address (config `LOGIN_RATE_LIMIT`)."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def address_limit() -> str:
    """Failed logins allowed from one address whatever the usernames, against password spraying
    (config `LOGIN_ADDRESS_LIMIT`); shared by the login form and the API's token request."""
    return str(current_app.config["LOGIN_ADDRESS_LIMIT"])


def remote_address() -> str:
    return f"address|{get_remote_address()}"


def failed(response: Response) -> bool:
    """Only a refused login counts against the address: a busy office logging in is fine."""
    return response.status_code == 401


def login_key() -> str:
    """Count attempts per address and username, so one clerk's typos lock out nobody else
    (the login form, and the API's token request)."""
    if request.is_json:
        body = request.get_json(silent=True)
        username = body.get("username") if isinstance(body, dict) else None
    else:
        username = request.form.get("username")
    return f"{get_remote_address()}|{str(username or '').strip().lower()}"


def pending_key() -> str:
    """Count second-factor attempts per user, whichever address they come from."""
    pending = session.get("pending") or {}
    return f"otp|{pending.get('u', get_remote_address())}"

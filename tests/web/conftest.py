"""The pages through Flask's test client, as a logged-in demo user sees them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from service.cli import DEMO_PASSWORD
from tests.conftest import SECOND_FACTOR_USERS, fresh_code

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(page: str) -> str | None:
    """The CSRF token of the first form on `page`."""
    found = _TOKEN.search(page)
    return None if found is None else found.group(1)


def token_secret(app: Flask, token: str) -> str:
    """What a form token stands for: the session's CSRF secret. The token's text also carries
    the second it was signed in, so two pages of one session may show different texts."""
    key = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return str(URLSafeTimedSerializer(key, salt="wtf-csrf-token").loads(token))


def flatten(data: Any, prefix: str = "data") -> MultiDict[str, str]:
    """A step's data as the posted form: dotted names, dates as dd/mm/yyyy."""
    form: MultiDict[str, str] = MultiDict()
    if isinstance(data, dict):
        for key, value in data.items():
            form.update(flatten(value, f"{prefix}.{key}"))
    elif isinstance(data, list) and all(isinstance(v, str) for v in data):
        form.add(f"{prefix}.__present__", "1")
        for value in data:
            form.add(prefix, value)
    elif isinstance(data, list):
        form.add(f"{prefix}.__present__", "1")
        for index, value in enumerate(data):
            form.update(flatten(value, f"{prefix}.{index}"))
    elif isinstance(data, bool):
        form.add(prefix, "true" if data else "false")
    elif data is None:
        form.add(prefix, "")
    elif isinstance(data, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", data):
        form.add(prefix, date.fromisoformat(data).strftime("%d/%m/%Y"))
    else:
        form.add(prefix, str(data))
    return form


class Browser:
    """A test client that logs in like a person and sends each form's CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        answer = self.client.get(path, **kwargs)
        found = _TOKEN.search(answer.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return answer

    def post(
        self, path: str, data: Any = None, *, csrf: bool = True, **kwargs: Any
    ) -> TestResponse:
        form = MultiDict(data or {})
        if csrf:
            if not self.token:
                self.get("/login")
            form["csrf_token"] = self.token
        return self.client.post(path, data=form, **kwargs)

    def login(
        self, username: str, password: str = DEMO_PASSWORD, next: str | None = None
    ) -> TestResponse:
        self.get("/login")
        data = {"username": username, "password": password}
        if next:
            data["next"] = next
        answer = self.post("/login", data)
        if username in SECOND_FACTOR_USERS and answer.location.startswith("/login/code"):
            self.get(answer.location)  # the pending session's form token
            code = fresh_code(self.client.application, username)
            answer = self.post(answer.location, {"code": code})
        self.get("/inbox")  # the session changed: take the new form token
        return answer

    def complete(
        self, task_id: int, decision: str, data: Any = None, comment: str = ""
    ) -> TestResponse:
        form = flatten(data or {})
        form["decision"] = decision
        form["comment"] = comment
        return self.post(f"/tasks/{task_id}", form)


@pytest.fixture
def browser(app: Flask) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def new_browser(app: Flask) -> Any:
    """More people at once: each call is another client with its own session."""
    return lambda: Browser(app.test_client())

"""Fixtures shared by the service tests: one app per test, on SQLite and on PostgreSQL, each on
a fresh database copied from a template built once per session."""

from __future__ import annotations

import copy
import itertools
import json
import os
import shutil
import threading
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, select
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from service.app import create_app
from service.cli import DEMO, DEMO_PASSWORD, DEMO_TOTP_SECRET
from service.config import Settings
from service.db.migrate import upgrade
from service.db.models import User
from service.db.session import make_engine, make_session_factory
from service.db.uow import UnitOfWork
from service.documents.pades import timestamper
from service.operations.actors import SYSTEM
from service.operations.definitions import deploy
from service.operations.directory import load_directory
from service.operations.rendering import RenderReport, render_pending
from service.operations.second_factor import STEP_SECONDS
from service.permissions import Right, may

ROOT = Path(__file__).parents[1]
DIRECTORY = tomllib.loads((DEMO / "directory.toml").read_text(encoding="utf-8"))
PLAN_2023 = json.loads((DEMO / "plan_thanh_hoa_2023.json").read_text(encoding="utf-8"))
# Administrators and signers: enrolled with the demo TOTP secret, as `load-demo --demo-otp` does.
SECOND_FACTOR_USERS = frozenset(
    u["username"] for u in DIRECTORY["user"] if may(frozenset(u["roles"]), Right.SECOND_FACTOR)
)


def fresh_code(app: Flask, username: str) -> str:
    """The code the user's phone shows; when this step's code was used already, wait for the
    next step as a person would (the fake clock moves on, nobody sleeps)."""
    clock = app.extensions["clock"]
    with UnitOfWork(app.extensions["session_factory"], write=False) as uow:
        user = uow.session.scalars(select(User).filter_by(username=username)).one()
        secret, last = user.totp_secret, user.totp_last_step
    assert secret is not None, f"{username} has no second factor"
    step = int(clock().timestamp()) // STEP_SECONDS
    if last is not None and step <= last:
        clock.advance(seconds=(last + 1 - step) * STEP_SECONDS)
    return str(pyotp.TOTP(secret, interval=STEP_SECONDS).at(clock()))


def render_documents(app: Flask, limit: int | None = None) -> RenderReport:
    """Run the render worker's pending jobs in process, on the app's clock: what the worker
    process does within seconds of a signing."""
    factory, clock = app.extensions["session_factory"], app.extensions["clock"]
    settings = app.extensions["settings"]
    keys = settings.key_store()  # None unless a test gives it signing keys
    tsa = timestamper(settings.tsa_url)
    return render_pending(lambda: UnitOfWork(factory, clock=clock), limit, keys=keys, tsa=tsa)


@pytest.fixture(scope="session")
def demo_hash() -> str:
    """The demo users' password hash. argon2 verifies with the parameters written in the hash,
    and the tests log in thousands of times: production's parameters cost a tenth of a second
    of CPU per login (more on a loaded machine), argon2's cheapest a few microseconds. Users a
    test creates through the operations get production's parameters."""
    return PasswordHasher.from_parameters(CHEAPEST).hash(DEMO_PASSWORD)


def _postgresql_url() -> str:
    url = os.environ.get("TEST_POSTGRESQL_URL")
    if url:
        return url
    if os.environ.get("REQUIRE_POSTGRESQL"):
        pytest.fail("REQUIRE_POSTGRESQL is set but TEST_POSTGRESQL_URL is not")
    pytest.skip("TEST_POSTGRESQL_URL not set")


def load_demo(database_url: str, demo_hash: str) -> None:
    """The demo directory (every user with `demo_hash`) and the diagrams of bpmn/, deployed."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    load_directory(UnitOfWork(factory), DIRECTORY, demo_hash, DEMO_TOTP_SECRET)
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        deploy(UnitOfWork(factory), SYSTEM, path.name, path.read_bytes())
    engine.dispose()


# A state many tests start from (a history walked through every kind of event, a year of
# campaigns played) is built once per worker and database, like the demo, by a `Build`: a
# function given an app on a copy of the demo database, a client, the clock and the app's
# folder, returning what the tests need to know (ids). A test asks for it with
# `pytest.mark.template.with_args(build)` and gets a copy of the database as the build left
# it, the clock where it stopped, the client's sign-ins, the files the app wrote (audit key,
# witness copies) and what the build returned (`built_state`). Changes to the app's
# configuration made by the build are not kept.
Build = Callable[[Flask, "ApiClient", "FakeClock", Path], dict[str, Any]]
BUILT = pytest.StashKey["Built"]()
START = datetime(2023, 4, 20, 2, 0, tzinfo=UTC)  # 09:00 in Thanh Hóa: every test's clock


@dataclass(frozen=True)
class Built:
    """What a build left besides its database."""

    folder: Path  # the files its app wrote
    now: datetime
    tokens: dict[str, str]
    state: dict[str, Any]


def template_name(build: Build) -> str:
    return build.__name__


def built_by(request: pytest.FixtureRequest) -> Build | None:
    marker = request.node.get_closest_marker("template")
    return None if marker is None else marker.args[0]  # type: ignore[no-any-return]


def make_app(
    database_url: str,
    clock: FakeClock,
    folder: Path,
    secret_key: str = "test-secret",  # noqa: S107  # a test key
) -> Flask:
    """The service on the fake clock; its audit key and witness copies in `folder`, not in
    the shared instance/."""
    settings = Settings(
        database_url=database_url,
        secret_key=secret_key,
        audit_key_path=folder / "audit_ed25519.pem",
        witness_dir=folder / "witness",
    )
    app = create_app(settings)
    app.extensions["clock"] = clock
    return app


def run_build(build: Build, database_url: str, folder: Path) -> Built:
    """Carry the database at `database_url` (a copy of the demo) as `build` says."""
    shutil.rmtree(folder, ignore_errors=True)  # what a build that failed left
    folder.mkdir(parents=True)
    clock = FakeClock(START)
    app = make_app(database_url, clock, folder)
    api = ApiClient(app.test_client())
    try:
        state = build(app, api, clock, folder)
    finally:
        app.extensions["db_engine"].dispose()
    return Built(folder, clock.now, dict(api.tokens), state)


def restore(built: Built, clock: FakeClock, folder: Path) -> None:
    """The rest of what a build left, for a test on a copy of its database."""
    shutil.copytree(built.folder, folder, dirs_exist_ok=True)
    clock.now = built.now


class SqliteTemplates:
    """Two database files built once per session: migrated and empty, and migrated with the
    demo loaded; and, the first time a test asks for one, the demo database carried further
    by a `Build` (`pytest.mark.template`). Each test gets a copy of one, so nobody migrates,
    loads or walks the same history twice per session."""

    def __init__(self, folder: Path, demo_hash: str, scratch: Path) -> None:
        self.empty, self.demo = folder / "empty.sqlite3", folder / "demo.sqlite3"
        self.scratch, self.built = scratch, dict[str, tuple[Path, Built]]()
        if self.demo.exists():  # kept by an earlier session (TEST_SQLITE_TEMPLATES)
            return
        upgrade(f"sqlite:///{self.empty}")
        shutil.copyfile(self.empty, self.demo)
        load_demo(f"sqlite:///{self.demo}", demo_hash)
        for built in (self.empty, self.demo):  # every engine is disposed: the WAL is folded in
            assert not Path(f"{built}-wal").exists(), f"{built} still has a write-ahead log"

    def copy(self, demo: bool, target: Path) -> str:
        shutil.copyfile(self.demo if demo else self.empty, target)
        return f"sqlite:///{target}"

    def copy_built(self, build: Build, target: Path) -> tuple[str, Built]:
        """A copy of the demo database as `build` left it (built on first use), and the rest
        of what it left."""
        name = template_name(build)
        if name not in self.built:
            database = self.scratch / f"{name}.sqlite3"
            shutil.copyfile(self.demo, database)
            built = run_build(build, f"sqlite:///{database}", self.scratch / name)
            assert not Path(f"{database}-wal").exists(), f"{database} still has a write-ahead log"
            self.built[name] = database, built
        database, built = self.built[name]
        shutil.copyfile(database, target)
        return f"sqlite:///{target}", built


class PostgresqlTemplates:
    """The same two templates as databases on the test server, one pair per xdist worker;
    each test gets a database of its own made from one (CREATE DATABASE … TEMPLATE) and
    dropped afterwards. TEST_POSTGRESQL_URL's own database (app_test) is only connected to."""

    def __init__(self, server_url: str, demo_hash: str, scratch: Path) -> None:
        self.server_url = make_url(server_url)
        self.prefix = f"t_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        self.empty, self.demo = f"{self.prefix}_empty", f"{self.prefix}_demo"
        self.made = itertools.count(1)
        self.scratch, self.built = scratch, dict[str, Built]()
        self.create(self.empty)
        upgrade(self.url(self.empty))
        self.create(self.demo, self.empty)
        load_demo(self.url(self.demo), demo_hash)

    def url(self, database: str) -> str:
        return self.server_url.set(database=database).render_as_string(hide_password=False)

    def _admin(self, *statements: str) -> None:
        # A connection of its own each time: a fault test may have restarted the server.
        engine = create_engine(self.server_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        engine.dispose()

    def create(self, database: str, template: str = "template0") -> None:
        self._admin(
            f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',  # left by an interrupted run
            # FILE_COPY: a fifth faster than PostgreSQL 15's default (WAL_LOG) for these sizes
            f'CREATE DATABASE "{database}" TEMPLATE "{template}" STRATEGY FILE_COPY',
        )

    def drop(self, database: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    def build(self, build: Build) -> tuple[str, Built]:
        """The database `build` carried the demo to (on first use: CREATE DATABASE … TEMPLATE
        needs nobody connected to its template, so the build's engine is disposed first)."""
        name = template_name(build)
        database = f"{self.prefix}_{name}"
        if name not in self.built:
            self.create(database, self.demo)
            try:
                self.built[name] = run_build(build, self.url(database), self.scratch / name)
            except BaseException:
                self.drop(database)
                raise
        return database, self.built[name]

    @contextmanager
    def fresh(self, template: str) -> Iterator[str]:
        database = f"{self.prefix}_{next(self.made)}"
        self.create(database, template)
        try:
            yield self.url(database)
        finally:
            self.drop(database)

    def close(self) -> None:
        for name in self.built:
            self.drop(f"{self.prefix}_{name}")
        self.drop(self.demo)
        self.drop(self.empty)


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory, demo_hash: str) -> SqliteTemplates:
    """Built once per session; with TEST_SQLITE_TEMPLATES (scripts/mutation.sh: hundreds of
    short sessions on the same code's schema) once into that folder and kept."""
    kept = os.environ.get("TEST_SQLITE_TEMPLATES")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
    folder = Path(kept) if kept else tmp_path_factory.mktemp("templates")
    return SqliteTemplates(folder, demo_hash, tmp_path_factory.mktemp("built-sqlite"))


@pytest.fixture(scope="session")
def postgresql_templates(
    demo_hash: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PostgresqlTemplates]:
    scratch = tmp_path_factory.mktemp("built-postgresql")
    templates = PostgresqlTemplates(_postgresql_url(), demo_hash, scratch)
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of this test's own, migrated: empty, or, for a test that uses `app` or
    the operations' `session_factory` (tests/operations), with the demo directory and the
    diagrams already loaded (`load_demo`); under `pytest.mark.template`, the demo as its build
    left it. A copy of a template built once per session."""
    demo = not {"app", "session_factory"}.isdisjoint(request.fixturenames)
    build = built_by(request)
    if request.param == "sqlite":
        templates: SqliteTemplates = request.getfixturevalue("sqlite_templates")
        target = tmp_path / "test.sqlite3"
        if build is None:
            yield templates.copy(demo, target)
        else:
            url, request.node.stash[BUILT] = templates.copy_built(build, target)
            yield url
    else:
        _postgresql_url()  # skips (or fails, in CI) before building anything
        server: PostgresqlTemplates = request.getfixturevalue("postgresql_templates")
        template = server.demo if demo else server.empty
        if build is not None:
            template, request.node.stash[BUILT] = server.build(build)
        with server.fresh(template) as url:
            yield url


class FakeClock:
    """The service's clock in tests: set or moved forward, never slept on."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def app(
    database_url: str, clock: FakeClock, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Flask]:
    """The service with the demo directory and the shipped diagrams, on the fake clock; its
    audit key and witness copies in the test's own folder, not in the shared instance/."""
    built = request.node.stash.get(BUILT, None)
    if built is not None:
        restore(built, clock, tmp_path)
    app = make_app(database_url, clock, tmp_path)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.fixture
def built_state(app: Flask, request: pytest.FixtureRequest) -> dict[str, Any]:
    """What the build of the test's template returned (`pytest.mark.template`): a copy."""
    built = request.node.stash.get(BUILT, None)
    assert built is not None, "built_state needs @pytest.mark.template(build)"
    return copy.deepcopy(built.state)


class ApiClient:
    """The JSON API as a demo user sees it."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def login(self, username: str) -> str:
        if username not in self.tokens:
            body = {"username": username, "password": DEMO_PASSWORD}
            if username in SECOND_FACTOR_USERS:
                body["otp"] = fresh_code(self.client.application, username)
            answer = self.client.post("/api/v1/auth/token", json=body)
            assert answer.status_code == 200, answer.json
            self.tokens[username] = answer.json["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, user: str | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.login(user)}"} if user else {}
        headers.update(kwargs.pop("headers", {}))
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path: str, user: str | None, **kwargs: Any) -> Any:
        return self.call("GET", path, user, **kwargs)

    def post(self, path: str, user: str | None, **kwargs: Any) -> Any:
        return self.call("POST", path, user, **kwargs)

    def only_task(self, user: str) -> dict[str, Any]:
        answer = self.get("/api/v1/tasks", user)
        assert answer.status_code == 200, answer.json
        (task,) = answer.json
        return dict(task)

    def complete(
        self,
        user: str,
        task_id: int,
        decision: str,
        comment: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> Any:
        body = {"decision": decision, "comment": comment, "data": data or {}}
        return self.post(f"/api/v1/tasks/{task_id}/complete", user, json=body)

    def start_plan(self, user: str = "thanhhoa.congan") -> int:
        answer = self.post(
            "/api/v1/processes",
            user,
            json={"definition": "plan_chain", "title": PLAN_2023["title"]},
        )
        assert answer.status_code == 201, answer.json
        return int(answer.json["id"])


@pytest.fixture
def api(app: Flask, request: pytest.FixtureRequest) -> ApiClient:
    client = ApiClient(app.test_client())
    built = request.node.stash.get(BUILT, None)
    if built is not None:  # signed in as during the build
        client.tokens.update(built.tokens)
    return client


@pytest.fixture
def base_url(app: Flask) -> Iterator[str]:
    """The app served on a free loopback port, for tests that need real concurrent HTTP."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()

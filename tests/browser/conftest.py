"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright.

No browser is downloaded: the tests use /usr/bin/chromium (`apt-get install chromium`, which
`.ci/run` does). Without it they are skipped on a developer's machine, and fail in CI.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service.db.uow import UnitOfWork
from tests.conftest import ROOT, FakeClock, SqliteTemplates, built_by, make_app, restore

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


def _require_chromium() -> None:
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is missing (pip install -e '.[dev]')"
    if missing and os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {missing}")
    if missing:
        pytest.skip(missing)


@dataclass
class LiveServer:
    url: str
    app: Flask
    clock: FakeClock

    def new_uow(self) -> UnitOfWork:
        return UnitOfWork(self.app.extensions["session_factory"], clock=self.clock)


@pytest.fixture
def live_server(
    tmp_path: Path,
    sqlite_templates: SqliteTemplates,
    clock: FakeClock,
    request: pytest.FixtureRequest,
) -> Iterator[LiveServer]:
    """The service with the demo directory and diagrams (or, under `pytest.mark.template`,
    the demo as its build left it), on SQLite, in a thread."""
    _require_chromium()
    build = built_by(request)
    if build is None:
        url = sqlite_templates.copy(True, tmp_path / "browser.sqlite3")
    else:
        url, built = sqlite_templates.copy_built(build, tmp_path / "browser.sqlite3")
        restore(built, clock, tmp_path)
    app = make_app(url, clock, tmp_path, secret_key="browser-test-secret")
    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"  # one person logs in as many users
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app, clock)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["db_engine"].dispose()


class _Chromium:
    """Debian's Chromium under Playwright, launched again if it went away (a crash fails the
    test it happened in, not every test after it)."""

    def __init__(self, playwright: Any) -> None:
        self._playwright = playwright
        self._browser: Any = None

    def browser(self) -> Any:
        if self._browser is None or not self._browser.is_connected():
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            )
        return self._browser

    def close(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            self._browser.close()


@pytest.fixture(scope="module")
def _chromium_process() -> Iterator[_Chromium]:
    """Playwright and Chromium, started once for a module's browser tests: a launch costs
    about a second, a context of its own for each test a few milliseconds. Not for longer:
    while Playwright's synchronous API runs, its event loop runs in this thread, and the
    tests of other modules call `asyncio.run` here (a certificate's validation)."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        process = _Chromium(playwright)
        try:
            yield process
        finally:
            process.close()


@pytest.fixture
def chromium(live_server: LiveServer, _chromium_process: _Chromium) -> Iterator[Any]:
    """The module's Chromium. A test sees only the contexts it opens, each with its own
    cookies, storage and cache; those it leaves open are closed after it."""
    browser = _chromium_process.browser()
    yield browser
    for context in browser.contexts:
        context.close()

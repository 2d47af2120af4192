"""An app nothing refers to any more is freed: no module-level object keeps it. A module-level
CSRFProtect once held each app's API-docs blueprint, and through it the app, so every app a
process made (each test's) stayed in memory and each full garbage collection walked them all."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from tests.conftest import FakeClock, make_app


def test_an_app_nothing_refers_to_is_freed(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    app = make_app(database_url, clock, tmp_path)
    client = app.test_client()
    assert client.get("/login").status_code == 200  # the pages' hooks
    assert client.get("/api/v1/health").status_code == 200  # the API's
    app.extensions["db_engine"].dispose()
    freed = weakref.ref(app)
    del app, client
    gc.collect()
    assert freed() is None

"""Fixtures of the service tests that sign: the demo's keys, made once per test process."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from service.db.uow import UnitOfWork
from service.documents.keys import Pkcs12Store, demo_keys
from service.queries.directory import key_holders

DemoStore = Callable[[Flask, Path, dt.datetime], tuple[Pkcs12Store, list[str]]]


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    """`demo_keys` for everyone the app's directory says needs a key, as of the time given,
    into the folder given: the store and the labels made. A 2048-bit key pair for each of the
    demo's 134 holders is seconds of CPU, most of a signing test's time, so the keys are made
    once per test process for the same holders and time, and each test gets a copy."""
    made: dict[tuple[str, dt.datetime], tuple[Path, list[str]]] = {}

    def store(app: Flask, folder: Path, now: dt.datetime) -> tuple[Pkcs12Store, list[str]]:
        holders = key_holders(UnitOfWork(app.extensions["session_factory"]))
        key = json.dumps(holders, sort_keys=True), now
        if key not in made:
            first = Pkcs12Store(tmp_path_factory.mktemp("pki"), b"demo")
            made[key] = first.directory, demo_keys(first, holders, now)
        directory, labels = made[key]
        shutil.copytree(directory, folder)
        return Pkcs12Store(folder, b"demo"), list(labels)

    return store


# Keys checked on the wall clock (a signing, /documents/check) are made as of the test
# process's start: minutes before they are used, as real keys are made before they sign.
STARTED = dt.datetime.now(dt.UTC)


def with_settings(app: Flask, **changes: Any) -> None:
    """The app's settings with `changes` (`pki_dir=`: it signs with that store's keys)."""
    app.extensions["settings"] = dataclasses.replace(app.extensions["settings"], **changes)

"""Production mode refuses demo settings; the health endpoint tells whether the database answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from service.app import create_app
from service.config import Settings, UnsafeConfiguration
from service.db.roles import grant_app_role
from service.db.uow import UnitOfWork
from service.operations.actors import password_hasher
from service.operations.directory import load_directory
from tests.conftest import DIRECTORY
from tests.service.test_app_role import PASSWORD, TOTP_KEYS, as_role, role

KEY = "k" * 48


def test_production_needs_its_own_secret_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("APP_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("APP_DATABASE_URL", database_url)
    monkeypatch.delenv("APP_SECRET_KEY", raising=False)
    with pytest.raises(UnsafeConfiguration, match="APP_SECRET_KEY of at least 32"):
        create_app()
    monkeypatch.setenv("APP_SECRET_KEY", "demo")
    with pytest.raises(UnsafeConfiguration, match="APP_SECRET_KEY of at least 32"):
        create_app()
    assert not (tmp_path / "secret_key").exists()  # no key made up on the side


def test_production_refuses_demo_passwords(database_url: str, demo_hash: str) -> None:
    plain = create_app(Settings(database_url=database_url, secret_key=KEY))
    load_directory(UnitOfWork(plain.extensions["session_factory"]), DIRECTORY, demo_hash)
    plain.extensions["db_engine"].dispose()

    with pytest.raises(UnsafeConfiguration, match=r"\d+ users still have the demo password"):
        create_app(
            Settings(
                database_url=database_url, secret_key=KEY, production=True, totp_keys=TOTP_KEYS
            )
        )


def test_production_starts_with_real_passwords(database_url: str) -> None:
    plain = create_app(Settings(database_url=database_url, secret_key=KEY))
    own = password_hasher().hash("a password of its own")
    load_directory(UnitOfWork(plain.extensions["session_factory"]), DIRECTORY, own)
    plain.extensions["db_engine"].dispose()

    if plain.extensions["db_engine"].dialect.name == "sqlite":
        _healthy_in_production(database_url)
        return
    with role(database_url, "antq_app") as name:  # PostgreSQL: as the service's own role
        grant_app_role(plain.extensions["db_engine"], name, PASSWORD)
        plain.extensions["db_engine"].dispose()
        _healthy_in_production(as_role(database_url, name))


def _healthy_in_production(url: str) -> None:
    app = create_app(
        Settings(database_url=url, secret_key=KEY, production=True, totp_keys=TOTP_KEYS)
    )
    assert app.config["SESSION_COOKIE_SECURE"]  # production's cookies go over HTTPS only
    answer = app.test_client().get("/api/v1/health")
    app.extensions["db_engine"].dispose()
    assert (answer.status_code, answer.json) == (200, {"status": "ok", "database": "ok"})


def test_an_unreachable_database_is_503_not_500(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/gone/db.sqlite3", secret_key=KEY))
    client = app.test_client()
    token = URLSafeTimedSerializer(KEY, salt="api-token").dumps({"u": 1})

    health = client.get("/api/v1/health")
    tasks = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})

    assert (health.status_code, health.json["database"]) == (503, "unreachable")
    assert (tasks.status_code, tasks.json["error"]) == (503, "database_unavailable")
    assert tasks.headers["Retry-After"] == "1"

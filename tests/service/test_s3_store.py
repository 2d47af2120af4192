"""Attached files in an S3-compatible bucket (APP_STORAGE=s3), against a server running here:
s3rver (npm, installed by scripts/bootstrap.sh from package.json), started per test module. An
upload lands in the bucket under its SHA-256 with its content type and reads back the same;
with the store away, the upload answers 503 naming the store and nothing is lost."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from service.app import create_app
from service.config import Settings, UnsafeConfiguration
from service.db.attachment_store import DatabaseStore, S3Store
from tests.conftest import PLAN_2023, ApiClient
from tests.service.attached_samples import PDF, png
from tests.web.conftest import Browser

ROOT = Path(__file__).resolve().parents[2]
S3RVER = ROOT / "node_modules" / ".bin" / "s3rver"
BUCKET = "antq-attachments"
KEYS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}  # s3rver's own
POLICE, FINANCE = "thanhhoa.congan", "thanhhoa.taichinh"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running s3rver with the bucket made, its data in a temporary folder."""
    if not S3RVER.exists() or shutil.which("node") is None:
        missing = "s3rver is not installed (npm ci installs it: scripts/bootstrap.sh)"
        if os.environ.get("CI") == "true":  # CI installs it: a skip there would hide the store
            pytest.fail(missing)
        pytest.skip(missing)
    port = _free_port()
    data, log = tmp_path_factory.mktemp("s3rver"), tmp_path_factory.mktemp("s3rver-log")
    command = [str(S3RVER), "-d", str(data), "-a", "127.0.0.1", "-p", str(port), "--silent"]
    with (
        (log / "stderr").open("wb") as errors,
        subprocess.Popen(  # noqa: S603  # our own
            [*command, "--configure-bucket", BUCKET], stdout=subprocess.DEVNULL, stderr=errors
        ) as server,
    ):
        try:
            deadline = time.monotonic() + 30
            while not _answers(port):  # a readiness poll, bounded: node starts in a second
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"s3rver did not start: {(log / 'stderr').read_text()}")
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.terminate()


@pytest.fixture
def s3(app: Flask, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Store:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    store = S3Store(BUCKET, s3_endpoint)
    app.extensions["attachments"] = store
    return store


def _submitted(api: ApiClient) -> tuple[int, int]:
    process = api.start_plan(POLICE)
    draft = api.only_task(POLICE)
    assert api.complete(POLICE, draft["id"], "submit", data=PLAN_2023).status_code == 200
    return process, api.only_task(FINANCE)["id"]


def _upload(api: ApiClient, process: int, content: bytes, name: str) -> Any:
    data = {"file": (BytesIO(content), name)}
    return api.post(f"/api/v1/processes/{process}/attachments", FINANCE, data=data)


def test_a_file_lands_in_the_bucket_under_its_hash_and_reads_back(
    api: ApiClient, s3: S3Store
) -> None:
    process, _ = _submitted(api)
    for content, name, mimetype in ((png("green"), "anh.png", "image/png"), (PDF, "bc.pdf", None)):
        answer = _upload(api, process, content, name)
        assert answer.status_code == 201, answer.json
        sha256 = hashlib.sha256(content).hexdigest()
        assert answer.json["sha256"] == sha256
        stored = s3.client.get_object(Bucket=BUCKET, Key=sha256)  # the server's own answer
        body = stored["Body"].read()
        assert hashlib.sha256(body).hexdigest() == sha256 and body == content
        assert stored["ContentType"] == (mimetype or "application/pdf")
        assert stored["Metadata"] == {"sha256": sha256}
        back = api.get(f"/api/v1/attachments/{answer.json['id']}", POLICE)
        assert back.status_code == 200 and back.data == content
        assert back.mimetype == stored["ContentType"]
    history = api.get(f"/api/v1/processes/{process}/history", POLICE).json
    attached = [e["data"]["sha256"] for e in history if e["action"] == "file_attached"]
    assert attached == [hashlib.sha256(png("green")).hexdigest(), hashlib.sha256(PDF).hexdigest()]


def test_an_object_changed_in_the_bucket_is_not_served(api: ApiClient, s3: S3Store) -> None:
    process, _ = _submitted(api)
    answer = _upload(api, process, png("red"), "anh.png")
    sha256 = answer.json["sha256"]
    s3.client.put_object(Bucket=BUCKET, Key=sha256, Body=b"\x89PNG forged")
    refused = api.get(f"/api/v1/attachments/{answer.json['id']}", POLICE)
    assert refused.status_code == 503 and refused.json["error"] == "store_unavailable"


def test_with_the_store_away_the_upload_answers_503_and_the_draft_stays(
    app: Flask, api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)
    app.extensions["attachments"] = S3Store(BUCKET, f"http://127.0.0.1:{_free_port()}")
    process, task = _submitted(api)
    refused = _upload(api, process, png("blue"), "anh.png")
    assert refused.status_code == 503, refused.json
    assert refused.json["error"] == "store_unavailable"
    assert refused.json["store"] == f"S3 {BUCKET}" and refused.headers["Retry-After"] == "60"
    assert api.get(f"/api/v1/processes/{process}/conversation", FINANCE).json["attachments"] == []
    history = api.get(f"/api/v1/processes/{process}/history", POLICE).json
    assert "file_attached" not in {e["action"] for e in history}

    finance = Browser(app.test_client())
    finance.login(FINANCE)
    finance.get(f"/tasks/{task}")
    typed = {"comment": "Đề nghị bổ sung dự toán chi tiết"}
    assert finance.post(f"/tasks/{task}/draft", typed).status_code == 303
    page = finance.post(
        f"/processes/{process}/attachments",
        {"task": str(task), "next": f"/tasks/{task}", "file": [(BytesIO(png()), "anh.png")]},
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 503, text
    assert f"Kho lưu tệp (S3 {BUCKET}) không phản hồi" in text
    assert "Đề nghị bổ sung dự toán chi tiết" in finance.get(f"/tasks/{task}").get_data(
        as_text=True
    )


def test_the_settings_choose_the_store(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> None:
    for name, value in {**KEYS, "APP_INSTANCE_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("APP_STORAGE", "s3")
    with pytest.raises(UnsafeConfiguration, match="APP_S3_BUCKET"):
        Settings.from_env()
    monkeypatch.setenv("APP_S3_BUCKET", BUCKET)
    monkeypatch.setenv("APP_S3_ENDPOINT", "http://127.0.0.1:9")
    settings = Settings.from_env()
    assert (settings.storage, settings.s3_bucket) == ("s3", BUCKET)
    app = create_app(Settings(database_url=database_url, secret_key="k" * 40, **_store(settings)))
    assert isinstance(app.extensions["attachments"], S3Store)
    monkeypatch.setenv("APP_STORAGE", "cloud")
    with pytest.raises(UnsafeConfiguration, match="APP_STORAGE"):
        Settings.from_env()
    monkeypatch.delenv("APP_STORAGE")
    assert Settings.from_env().storage == "database"
    assert isinstance(
        create_app(Settings(database_url, "k" * 40)).extensions["attachments"], DatabaseStore
    )


def _store(settings: Settings) -> dict[str, Any]:
    return {
        k: getattr(settings, k)
        for k in ("storage", "attachments_dir", "s3_bucket", "s3_endpoint", "s3_region")
    }

"""A signer whose certificate is expired or revoked cannot sign: the signing answers 409 naming
whose certificate, before any number is taken; what a revoked certificate signed before is
reported as not valid by /documents/check (the demo CA's revocation list)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from flask import Flask

from service.db.uow import UnitOfWork
from service.documents.keys import Pkcs12Store, demo_ca, demo_keys, issue_certificate, revoke
from service.documents.keys import user_label as user
from service.queries.directory import key_holders
from tests.conftest import ApiClient
from tests.service.conftest import STARTED, DemoStore, with_settings
from tests.service.test_documents import CHAIRMAN, documents, to_signature
from tests.web.conftest import Browser

CHAIRMAN_NAME = "Đỗ Minh Tuấn"


def _now() -> dt.datetime:
    """The wall clock: keys sign, and signatures are checked, at the real time."""
    return dt.datetime.now(dt.UTC)


def _demo_store(app: Flask, tmp_path: Path, demo_store: DemoStore) -> Pkcs12Store:
    store, _ = demo_store(app, tmp_path / "pki", STARTED)
    with_settings(app, pki_dir=store.directory)
    return store


def _check(api: ApiClient, pdf: bytes) -> list[dict[str, Any]]:
    answer = api.post(
        "/api/v1/documents/check", CHAIRMAN, data={"file": (io.BytesIO(pdf), "ke-hoach.pdf")}
    )
    assert answer.status_code == 200, answer.json
    return list(answer.json["signatures"])


def _task_state(api: ApiClient, task: int) -> str:
    return str(api.get(f"/api/v1/tasks/{task}", CHAIRMAN).json["state"])


def test_a_revoked_signer_cannot_sign_and_what_they_signed_is_no_longer_valid(
    app: Flask, api: ApiClient, tmp_path: Path, demo_store: DemoStore
) -> None:
    store = _demo_store(app, tmp_path, demo_store)
    first = to_signature(api)
    assert api.complete(CHAIRMAN, first, "approve").status_code == 200
    process_id = api.get(f"/api/v1/tasks/{first}", CHAIRMAN).json["process_id"]
    (document,) = documents(api, process_id)
    pdf = bytes(api.get(f"/api/v1/documents/{document['id']}/pdf", CHAIRMAN).data)
    assert [s["ok"] for s in _check(api, pdf)] == [True, True]

    assert revoke(store, user(CHAIRMAN), _now())
    signer, agency = _check(api, pdf)
    assert (signer["field"], signer["revoked"], signer["ok"]) == ("signer", True, False)
    assert signer["intact"] and signer["valid"]  # the bytes are fine: the certificate is not
    assert (agency["revoked"], agency["ok"]) == (False, True)

    second = to_signature(api)
    answer = api.complete(CHAIRMAN, second, "approve")
    assert answer.status_code == 409, answer.json
    assert answer.json["error"] == "certificate_revoked"
    assert answer.json["holder"] == CHAIRMAN_NAME and CHAIRMAN_NAME in answer.json["message"]
    assert _task_state(api, second) == "open"


def test_an_expired_certificate_cannot_sign_and_no_number_is_taken(
    app: Flask, api: ApiClient, tmp_path: Path, demo_store: DemoStore
) -> None:
    store = _demo_store(app, tmp_path, demo_store)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    long_ago = _now() - dt.timedelta(days=800)
    old = issue_certificate(
        demo_ca(store.directory, long_ago), key.public_key(), "x", "y", long_ago
    )
    store.path(user(CHAIRMAN)).write_bytes(  # valid 730 days from 800 days ago: expired
        pkcs12.serialize_key_and_certificates(
            b"x", key, old, None, serialization.BestAvailableEncryption(b"demo")
        )
    )
    task = to_signature(api)
    answer = api.complete(CHAIRMAN, task, "approve")
    assert (answer.status_code, answer.json["error"]) == (409, "certificate_expired")
    assert answer.json["holder"] == CHAIRMAN_NAME
    assert _task_state(api, task) == "open"

    store.path(user(CHAIRMAN)).unlink()  # a new certificate: the same signing now goes through
    demo_keys(store, key_holders(UnitOfWork(app.extensions["session_factory"])), _now())
    assert api.complete(CHAIRMAN, task, "approve").status_code == 200
    process_id = api.get(f"/api/v1/tasks/{task}", CHAIRMAN).json["process_id"]
    (document,) = documents(api, process_id)
    assert document["number_line"] == "Số: 1/KH-BCĐ"  # the refused signing took no number


def test_the_page_names_whose_certificate_was_revoked(
    app: Flask, api: ApiClient, tmp_path: Path, demo_store: DemoStore
) -> None:
    store = _demo_store(app, tmp_path, demo_store)
    assert revoke(store, user(CHAIRMAN), _now())
    task = to_signature(api)
    browser = Browser(app.test_client())
    browser.login(CHAIRMAN)
    page = browser.complete(task, "approve")
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert CHAIRMAN_NAME in text and "thu hồi" in text  # Vietnamese: "has been revoked"


def test_a_signer_without_a_key_cannot_sign_and_no_number_is_taken(
    app: Flask, api: ApiClient, tmp_path: Path, demo_store: DemoStore
) -> None:
    store = _demo_store(app, tmp_path, demo_store)
    store.path(user(CHAIRMAN)).unlink()  # keys for everyone else, none for the Chairman
    task = to_signature(api)
    answer = api.complete(CHAIRMAN, task, "approve")
    assert (answer.status_code, answer.json["error"]) == (409, "signing_key_missing")
    assert answer.json["holder"] == CHAIRMAN_NAME and CHAIRMAN_NAME in answer.json["message"]
    assert _task_state(api, task) == "open"
    process_id = api.get(f"/api/v1/tasks/{task}", CHAIRMAN).json["process_id"]
    assert documents(api, process_id) == []

    browser = Browser(app.test_client())  # the page says it in Vietnamese, naming him
    browser.login(CHAIRMAN)
    page = browser.complete(task, "approve")
    assert page.status_code == 409
    text = page.get_data(as_text=True)
    assert f"{CHAIRMAN_NAME} chưa có khóa ký và chứng thư số" in text

    demo_keys(store, key_holders(UnitOfWork(app.extensions["session_factory"])), _now())
    assert api.complete(CHAIRMAN, task, "approve").status_code == 200
    (document,) = documents(api, process_id)
    assert document["number_line"] == "Số: 1/KH-BCĐ"  # the refused signings took no number

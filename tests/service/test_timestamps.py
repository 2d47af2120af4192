"""With APP_TSA_URL set, each signature of an issued PDF carries an RFC 3161 timestamp from that
authority (pyHanko's HTTPTimeStamper). The authority here is a tiny local one: an HTTP server
on 127.0.0.1 answering with pyHanko's own DummyTimeStamper, its certificate from the demo CA."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import Flask
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from service.documents.keys import Pkcs12Store, demo_ca
from tests.conftest import ApiClient, render_documents
from tests.service.conftest import STARTED, DemoStore, with_settings
from tests.service.test_documents import CHAIRMAN, documents, to_signature


@dataclasses.dataclass
class LocalTsa:
    url: str
    requests: int = 0


def _tsa_certificate(directory: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A time-stamping certificate from the demo CA (extended key usage: timeStamping only)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, ca_cert = demo_ca(directory, now)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TSA thử nghiệm")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture
def signing_keys(app: Flask, tmp_path: Path, demo_store: DemoStore) -> Pkcs12Store:
    """The demo's keys, in this test's folder."""
    store, _ = demo_store(app, tmp_path / "pki", STARTED)
    return store


@pytest.fixture
def local_tsa(signing_keys: Pkcs12Store) -> Iterator[LocalTsa]:
    key, cert = _tsa_certificate(signing_keys.directory)  # from the signers' CA
    authority = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(
            key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
    )
    state = LocalTsa("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 -- http.server's name
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            answer = authority.request_tsa_response(request).dump()
            state.requests += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/tsa"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


def test_each_signature_carries_the_authoritys_timestamp(
    app: Flask, api: ApiClient, signing_keys: Pkcs12Store, local_tsa: LocalTsa
) -> None:
    with_settings(app, pki_dir=signing_keys.directory, tsa_url=local_tsa.url)
    task = to_signature(api)
    assert api.complete(CHAIRMAN, task, "approve").status_code == 200
    process_id = api.get(f"/api/v1/tasks/{task}", CHAIRMAN).json["process_id"]
    (document,) = documents(api, process_id)
    assert local_tsa.requests == 3  # one to size the token, then one for each signature

    pdf = bytes(api.get(f"/api/v1/documents/{document['id']}/pdf", CHAIRMAN).data)
    answer = api.post(
        "/api/v1/documents/check", CHAIRMAN, data={"file": (io.BytesIO(pdf), "ke-hoach.pdf")}
    )
    signatures = answer.json["signatures"]
    assert [(s["field"], s["ok"], s["timestamp_trusted"]) for s in signatures] == [
        ("signer", True, True),
        ("agency", True, True),
    ]
    stamped = [dt.datetime.fromisoformat(s["timestamped_at"]) for s in signatures]
    now = dt.datetime.now(dt.UTC)
    assert all(now - dt.timedelta(minutes=5) < t <= now for t in stamped)


def test_an_authority_that_does_not_answer_leaves_the_job_for_a_retry(
    app: Flask, api: ApiClient, signing_keys: Pkcs12Store
) -> None:
    nobody = "http://127.0.0.1:9/tsa"  # the discard port: nobody listens
    with_settings(app, pki_dir=signing_keys.directory, tsa_url=nobody)
    task = to_signature(api)
    assert api.complete(CHAIRMAN, task, "approve").status_code == 200
    report = render_documents(app)
    assert (report.rendered, report.failed) == (0, 1)
    process_id = api.get(f"/api/v1/tasks/{task}", CHAIRMAN).json["process_id"]
    (document,) = documents(api, process_id, render=False)
    assert document["state"] == "rendering"  # retried after its backoff, never sent unstamped

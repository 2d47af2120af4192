"""Issued PDFs carry the signer's and the issuing agency's digital signatures (PAdES), made by
the render worker with keys from PKCS#12 files (the demo's) or a PKCS#11 token (SoftHSM2 here, as
a USB token or an HSM would be); anyone can check a PDF in hand, and a changed byte is named."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pypdfium2
import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask

from service.db.uow import UnitOfWork
from service.documents import pades
from service.documents.keys import (
    Pkcs12Store,
    agency_label,
    demo_ca,
    issue_certificate,
    user_label,
)
from service.queries.directory import key_holders
from tests.conftest import PLAN_2023, ROOT, ApiClient, render_documents
from tests.service.conftest import STARTED, DemoStore, with_settings
from tests.service.test_documents import CHAIRMAN, documents, download, to_signature

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
SCREENSHOTS = ROOT / "test-artifacts" / "documents"
ISSUER = "thanh-hoa-ubnd"  # the agency whose register numbers the plan (as BCĐ 138)


def _sign_plan_task(api: ApiClient) -> int:
    """The demo plan signed (as BCĐ); the Chairman's task that signed it."""
    task = to_signature(api)
    assert api.complete(CHAIRMAN, task, "approve").status_code == 200
    return task


def _sign_plan(api: ApiClient) -> tuple[int, bytes]:
    task = to_signature(api)
    assert api.complete(CHAIRMAN, task, "approve").status_code == 200
    process_id = api.get(f"/api/v1/tasks/{task}", CHAIRMAN).json["process_id"]
    (document,) = documents(api, process_id)
    return document["id"], download(api, document["id"], "pdf")


def _check(api: ApiClient, pdf: bytes) -> Any:
    answer = api.post(
        "/api/v1/documents/check", CHAIRMAN, data={"file": (io.BytesIO(pdf), "ke-hoach.pdf")}
    )
    assert answer.status_code == 200, answer.json
    return answer.json


def test_the_signed_plan_carries_both_signatures_and_a_changed_byte_is_named(
    app: Flask, api: ApiClient, tmp_path: Path, demo_store: DemoStore
) -> None:
    store, made = demo_store(app, tmp_path / "pki", STARTED)
    assert user_label(CHAIRMAN) in made and agency_label(ISSUER) in made
    with_settings(app, pki_dir=store.directory)

    _, pdf = _sign_plan(api)
    checks = pades.check(pdf, store.trust_roots())
    assert [(c.field, c.ok) for c in checks] == [("signer", True), ("agency", True)]
    assert checks[0].signer == "Đỗ Minh Tuấn"  # the Chairman of the demo directory
    assert "BAN CHỈ ĐẠO" in checks[1].signer.upper() and checks[1].whole_file

    answer = _check(api, pdf)
    assert answer["matches"] and answer["recorded"]
    assert [s["ok"] for s in answer["signatures"]] == [True, True]

    changed = bytearray(pdf)
    changed[len(pdf) // 4] ^= 0x01  # a byte of the page content, inside both signed ranges
    broken = _check(api, bytes(changed))
    assert not broken["matches"] and [s["ok"] for s in broken["signatures"]] == [False, False]
    assert not broken["signatures"][0]["intact"]


def _red_pixels(page: Any) -> int:
    """The seal's ink: clearly red pixels of a page drawn with its form fields (the widgets)."""
    rgb = page.render(scale=1.5, may_draw_forms=True).to_pil().convert("RGB").tobytes()
    pixels = zip(rgb[0::3], rgb[1::3], rgb[2::3], strict=True)
    return sum(1 for r, g, b in pixels if r > 170 and g < 90 and b < 90)


def test_screenshots_of_the_signed_plan_show_both_appearances(
    app: Flask, api: ApiClient, tmp_path: Path, demo_store: DemoStore
) -> None:
    """test-artifacts/documents/: the signed plan's first page, the page of its signatures (the
    last before its appendices) and its last page, as a reader sees them; the issuer is named
    on /documents/check as the header and the agency's seal name it."""
    store, _ = demo_store(app, tmp_path / "pki", STARTED)
    with_settings(app, pki_dir=store.directory)
    _, pdf = _sign_plan(api)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    document = pypdfium2.PdfDocument(pdf)
    try:
        document.init_forms()
        pages = [document[i] for i in range(len(document))]
        texts = [page.get_textpage().get_text_range() for page in pages]
        signed = next(i for i, text in enumerate(texts) if "Ký số bởi" in text)
        shots = {"plan-first": 0, "plan-signatures": signed, "plan-last": len(pages) - 1}
        for name, index in shots.items():
            image = pages[index].render(scale=1.5, may_draw_forms=True).to_pil()
            image.save(SCREENSHOTS / f"{name}.png")
        red = [_red_pixels(page) for page in pages]
    finally:
        document.close()
    # the signatures close the plan; only its appendices (Phụ lục) follow them
    assert signed < len(red) - 1 and all("Phụ lục" in t for t in texts[signed + 1 :])
    assert red[signed] > 500  # the agency's seal: a red frame and text (about 900)
    assert [i for i, n in enumerate(red) if n] == [signed]
    assert "Ký số bởi: Đỗ Minh Tuấn" in texts[signed]  # the signer's appearance

    header = ["UBND TỈNH THANH HÓA", "BAN CHỈ ĐẠO 138"]
    lines = [line.strip() for line in texts[0].splitlines()]
    assert lines[lines.index(header[0]) + 1] == header[1], lines[:6]
    answer = _check(api, pdf)
    assert answer["document"]["issued_as"] == header
    agency = answer["signatures"][1]
    assert (agency["field"], agency["signer"], agency["organisation"]) == ("agency", *header[::-1])
    assert header[1] in texts[signed]  # the seal's appearance names it too


def test_a_plan_issued_as_the_peoples_committee_is_sealed_in_its_name(
    app: Flask, api: ApiClient, tmp_path: Path, demo_store: DemoStore
) -> None:
    """The seal is the issuing body's, as the header prints it: KH-UBND by the committee's own
    key (agency:<code>:UBND), not the Steering Committee's the agency issues as by default."""
    store, made = demo_store(app, tmp_path / "pki", STARTED)
    assert agency_label(ISSUER, "UBND") in made
    with_settings(app, pki_dir=store.directory)
    task = to_signature(api, {**PLAN_2023, "issuer": "UBND"})
    assert api.complete(CHAIRMAN, task, "approve").status_code == 200
    process_id = api.get(f"/api/v1/tasks/{task}", CHAIRMAN).json["process_id"]
    (document,) = documents(api, process_id)
    pdf = download(api, document["id"], "pdf")

    answer = _check(api, pdf)
    header = ["ỦY BAN NHÂN DÂN TỈNH THANH HÓA"]
    assert answer["document"]["issued_as"] == header
    signer, agency = answer["signatures"]
    assert (signer["ok"], agency["ok"], agency["signer"]) == (True, True, header[0])

    # the award decision of a plan issued as BCĐ is the committee's own (QĐ-UBND): its seal too
    process_id = api.get(f"/api/v1/tasks/{_sign_plan_task(api)}", CHAIRMAN).json["process_id"]
    answer = api.post(f"/api/v1/processes/{process_id}/award-decision", CHAIRMAN)
    assert answer.status_code == 201, answer.json
    assert answer.json["number_line"] == "Số: 1/QĐ-UBND"
    render_documents(app)
    decision = _check(api, download(api, answer.json["id"], "pdf"))
    assert decision["document"]["issued_as"] == header
    assert [(s["ok"], s["field"]) for s in decision["signatures"]] == [
        (True, "signer"),
        (True, "agency"),
    ]
    assert decision["signatures"][1]["signer"] == header[0]

    store.path(agency_label(ISSUER, "UBND")).unlink()  # that seal gone: nothing is signed
    task = to_signature(api, {**PLAN_2023, "issuer": "UBND"})
    refused = api.complete(CHAIRMAN, task, "approve")
    assert (refused.status_code, refused.json["error"]) == (409, "signing_key_missing")
    assert refused.json["holder"] == header[0]


def test_a_certificate_from_another_authority_is_not_trusted(
    app: Flask, api: ApiClient, tmp_path: Path, demo_store: DemoStore
) -> None:
    store, _ = demo_store(app, tmp_path / "pki", STARTED)
    other = Pkcs12Store(tmp_path / "other", b"demo")
    demo_ca(other.directory, STARTED)  # another CA: what /documents/check trusts
    with_settings(app, pki_dir=store.directory, trust_roots=other.directory / "ca.pem")

    _, pdf = _sign_plan(api)
    answer = _check(api, pdf)
    assert answer["matches"]
    assert [(s["intact"], s["trusted"]) for s in answer["signatures"]] == [(True, False)] * 2


def test_without_keys_the_pdf_goes_out_unsigned(api: ApiClient) -> None:
    _, pdf = _sign_plan(api)
    assert not pades.is_signed(pdf) and _check(api, pdf)["signatures"] == []


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SoftHSM2 token per test process: the library reads its configuration once, when it
    is first loaded, so every test of the process sees the same token folder."""
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(  # noqa: S603 -- the Debian tool, fixed arguments
        [shutil.which("softhsm2-util") or "softhsm2-util", "--init-token", "--free",
         "--label", "ngayhoi", "--so-pin", "5678", "--pin", "1234"],
        check=True, capture_output=True, env=os.environ | {"SOFTHSM2_CONF": str(conf)},
    )  # fmt: skip
    return "ngayhoi"


@pytest.mark.skipif(not SOFTHSM.exists(), reason="SoftHSM2 (Debian softhsm2) is not installed")
def test_signing_through_a_pkcs11_token(
    app: Flask, api: ApiClient, tmp_path: Path, softhsm: str
) -> None:
    """Keys made on the token never leave it; the demo CA certifies their public halves."""
    import pkcs11
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509

    ca = demo_ca(tmp_path / "ca", STARTED)
    holders = key_holders(UnitOfWork(app.extensions["session_factory"]))
    labels = [user_label(CHAIRMAN), agency_label(ISSUER)]
    token = pkcs11.lib(str(SOFTHSM)).get_token(token_label=softhsm)
    with token.open(rw=True, user_pin="1234") as session:
        for found in list(session.get_objects({})):  # an earlier test's keys on this token
            if found[pkcs11.Attribute.LABEL] in labels:
                found.destroy()
        for label in labels:
            public, _ = session.generate_keypair(pkcs11.KeyType.RSA, 2048, label=label, store=True)
            der = pkcs11.util.rsa.encode_rsa_public_key(public)
            key = serialization.load_der_public_key(der)
            cert = issue_certificate(ca, key, *holders[label], STARTED)  # type: ignore[arg-type]
            parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
            session.create_object(pkcs11.util.x509.decode_x509_certificate(parsed.dump()) | {
                pkcs11.Attribute.LABEL: label, pkcs11.Attribute.TOKEN: True,
            })  # fmt: skip
    assert isinstance(ca[1], x509.Certificate)
    with_settings(
        app,
        pkcs11_module=str(SOFTHSM),
        pkcs11_token="ngayhoi",
        pkcs11_pin="1234",
        trust_roots=tmp_path / "ca" / "ca.pem",
    )

    _, pdf = _sign_plan(api)
    answer = _check(api, pdf)
    assert [(s["field"], s["ok"]) for s in answer["signatures"]] == [
        ("signer", True),
        ("agency", True),
    ]

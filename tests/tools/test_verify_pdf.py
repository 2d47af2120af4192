"""The offline PDF verifier: a signed PDF and the CA's certificate are all it needs. It agrees
with the service's own check, names a changed byte, a revoked or an untrusted certificate, and
exits non-zero for each."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pypdf
import pytest

from service.documents import pades
from service.documents.keys import CA_FILE, CRL_FILE, Pkcs12Store, demo_ca, demo_keys, revoke
from service.documents.layout import Box

PATH = Path(__file__).parents[2] / "tools" / "verify_pdf.py"
HOLDERS = {
    "user:thanhhoa.chutich": ("Đỗ Minh Tuấn", "Ủy ban nhân dân tỉnh Thanh Hóa"),
    "agency:thanh-hoa-ubnd": ("Ban Chỉ đạo 138 tỉnh Thanh Hóa", "Ủy ban nhân dân tỉnh Thanh Hóa"),
}


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_pdf", PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["verify_pdf"] = module  # dataclasses look themselves up here
    spec.loader.exec_module(module)
    return module


tool = _load()


@pytest.fixture
def store(tmp_path: Path) -> Pkcs12Store:
    keys = Pkcs12Store(tmp_path / "pki", b"demo")
    demo_keys(keys, HOLDERS, dt.datetime.now(dt.UTC))
    return keys


@pytest.fixture
def signed(store: Pkcs12Store, tmp_path: Path) -> Path:
    """A one-page PDF with the signer's signature, then the agency's, as the worker signs."""
    writer, out = pypdf.PdfWriter(), io.BytesIO()
    writer.add_blank_page(595, 842)
    writer.write(out)
    with store.signers(HOLDERS) as found:
        seals = [
            pades.Seal("signer", found["user:thanhhoa.chutich"], Box(0, 300, 100, 500, 180)),
            pades.Seal("agency", found["agency:thanh-hoa-ubnd"], Box(0, 300, 100, 370, 180)),
        ]
        pdf = pades.sign(out.getvalue(), seals)
    path = tmp_path / "1-KH-BCĐ-2023.pdf"
    path.write_bytes(pdf)
    return path


def _run(*args: Path | str) -> tuple[int, str]:
    """The tool as a recipient runs it: a script of its own, not an import of the service."""
    done = subprocess.run(  # noqa: S603 -- this interpreter, the tool, test files
        [sys.executable, str(PATH), *map(str, args)], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout + done.stderr


def test_a_signed_pdf_verifies_and_says_who_signed(store: Pkcs12Store, signed: Path) -> None:
    status, out = _run(signed, "--trust", store.directory / CA_FILE)
    assert status == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("VALID  [signer] Đỗ Minh Tuấn (Ủy ban nhân dân tỉnh Thanh Hóa)")
    assert lines[1].startswith("VALID  [agency] Ban Chỉ đạo 138 tỉnh Thanh Hóa")
    assert "intact: yes, valid: yes, trusted: yes, revoked: no" in lines[0]
    assert "+07:00 (signer's clock)" in lines[0]
    assert lines[-1].endswith("2 of 2 signatures valid")


def test_the_tool_agrees_with_the_services_check(store: Pkcs12Store, signed: Path) -> None:
    pdf = bytearray(signed.read_bytes())
    pdf[len(pdf) // 4] ^= 0x01
    roots = tool.load_certificates(store.directory / CA_FILE)
    for content in (bytes(signed.read_bytes()), bytes(pdf)):
        ours = [
            (c.field, c.intact, c.valid, c.trusted, c.ok) for c in tool.check(content, roots, [])
        ]
        theirs = [
            (c.field, c.intact, c.valid, c.trusted, c.ok) for c in pades.check(content, roots)
        ]
        assert ours == theirs


def test_a_changed_byte_is_named_and_fails(
    store: Pkcs12Store, signed: Path, tmp_path: Path
) -> None:
    pdf = bytearray(signed.read_bytes())
    pdf[pdf.index(b"842")] = ord("7")  # the page's height: inside both signed ranges
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(pdf))
    status, out = _run(changed, "--trust", store.directory / CA_FILE)
    assert status == 1
    assert out.count("NOT VALID") == 2 and "intact: no" in out
    assert out.splitlines()[-1].endswith("0 of 2 signatures valid")


def test_a_revoked_certificate_fails_with_the_crl(store: Pkcs12Store, signed: Path) -> None:
    assert revoke(store, "user:thanhhoa.chutich", dt.datetime.now(dt.UTC))
    ca, crl = store.directory / CA_FILE, store.directory / CRL_FILE
    status, out = _run(signed, "--trust", ca, "--crl", crl)
    assert status == 1
    signer, agency = out.splitlines()[:2]
    assert signer.startswith("NOT VALID  [signer]") and "revoked: yes" in signer
    assert agency.startswith("VALID  [agency]")


def test_another_authority_is_not_trusted(signed: Path, tmp_path: Path) -> None:
    demo_ca(tmp_path / "other", dt.datetime.now(dt.UTC))
    status, out = _run(signed, "--trust", tmp_path / "other" / CA_FILE)
    assert status == 1 and out.count("trusted: no") == 2


def test_an_unsigned_or_unreadable_file(store: Pkcs12Store, tmp_path: Path) -> None:
    writer, plain = pypdf.PdfWriter(), tmp_path / "plain.pdf"
    writer.add_blank_page(595, 842)
    writer.write(plain)
    assert _run(plain, "--trust", store.directory / CA_FILE) == (
        1,
        f"{plain}: no digital signature\n",
    )
    text = tmp_path / "note.pdf"
    text.write_text("not a PDF")
    status, out = _run(text, "--trust", store.directory / CA_FILE)
    assert status == 2 and out.startswith("cannot read:")

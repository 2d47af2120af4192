"""Where signing keys live: PKCS#12 files (the demo's, and small deployments') or a PKCS#11
token or HSM (the specialised CA's USB tokens, an HSM in production). A key is found by its label:
`user:<username>` for a person's signature, `agency:<code>` for an issuing agency's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.sign import signers

CA_FILE = "ca.pem"


def user_label(username: str) -> str:
    return f"user:{username}"


def agency_label(code: str) -> str:
    return f"agency:{code}"


class KeyStore(Protocol):
    def signers(self, labels: Iterable[str]) -> AbstractContextManager[dict[str, signers.Signer]]:
        """A context giving the signers found among `labels` (absent labels are left out)."""
        ...

    def trust_roots(self) -> list[asn1_x509.Certificate]: ...


@dataclass(frozen=True)
class Pkcs12Store:
    """One `<label>.p12` per key in `directory` (":" written "-"), and the CA's `ca.pem`."""

    directory: Path
    passphrase: bytes

    def path(self, label: str) -> Path:
        return self.directory / f"{label.replace(':', '-')}.p12"

    @contextmanager
    def signers(self, labels: Iterable[str]) -> Iterator[dict[str, signers.Signer]]:
        found: dict[str, signers.Signer] = {}
        for label in labels:
            if self.path(label).exists():
                signer = signers.SimpleSigner.load_pkcs12(  # type: ignore[no-untyped-call]
                    self.path(label), passphrase=self.passphrase
                )
                if signer is not None:
                    found[label] = signer
        yield found

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        return pem_certificates(self.directory / CA_FILE)


@dataclass(frozen=True)
class Pkcs11Store:
    """Keys on a PKCS#11 token: each key and its certificate under the key's label."""

    module: str
    token: str
    pin: str
    roots: Path | None  # PEM of the trusted CAs

    @contextmanager
    def signers(self, labels: Iterable[str]) -> Iterator[dict[str, signers.Signer]]:
        from pkcs11 import Attribute, ObjectClass
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

        session = open_pkcs11_session(
            self.module, token_criteria=TokenCriteria(label=self.token), user_pin=self.pin
        )
        try:
            present = {
                str(o[Attribute.LABEL])
                for o in session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY})
            }
            yield {
                label: PKCS11Signer(session, cert_label=label, key_label=label)
                for label in labels
                if label in present
            }
        finally:
            session.close()

    def trust_roots(self) -> list[asn1_x509.Certificate]:
        return [] if self.roots is None else pem_certificates(self.roots)


def pem_certificates(path: Path) -> list[asn1_x509.Certificate]:
    if not path.exists():
        return []
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs]


# --- the demo's certificate authority ---------------------------------------------------


def _fit(text: str, limit: int = 64) -> str:
    """At most `limit` bytes of UTF-8 (X.520's upper bound), cut between letters."""
    while len(text.encode()) > limit:
        text = text[:-1]
    return text


def _name(common: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)),
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(common)),
        ]
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def demo_ca(directory: Path, now: dt.datetime) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The demo CA's key and certificate, made on first use (never for production)."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = directory / "ca.key", directory / CA_FILE
    if key_path.exists() and cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key, x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = _key()
    name = _name("CA thử nghiệm Ngày hội ANTQ", "Demo (không dùng thật)")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def issue_certificate(
    ca: tuple[rsa.RSAPrivateKey, x509.Certificate],
    public_key: rsa.RSAPublicKey,
    common: str,
    organisation: str,
    now: dt.datetime,
    days: int = 730,
) -> x509.Certificate:
    """A signing certificate from the demo CA: digital signature and non-repudiation."""
    ca_key, ca_cert = ca
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common, organisation))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )


def demo_keys(
    store: Pkcs12Store, holders: dict[str, tuple[str, str]], now: dt.datetime
) -> list[str]:
    """A PKCS#12 file per label in `holders` ({label: (common name, organisation)}) that has
    none yet, from the demo CA; the labels made."""
    ca = demo_ca(store.directory, now)
    made = []
    for label, (common, organisation) in holders.items():
        if store.path(label).exists():
            continue
        key = _key()
        cert = issue_certificate(ca, key.public_key(), common, organisation, now)
        store.path(label).write_bytes(
            pkcs12.serialize_key_and_certificates(
                label.encode(),
                key,
                cert,
                [ca[1]],
                serialization.BestAvailableEncryption(store.passphrase),
            )
        )
        store.path(label).chmod(0o600)
        made.append(label)
    return made

"""Where signing keys live: PKCS#12 files (the demo's, and small deployments') or a PKCS#11
token or HSM (the specialised CA's USB tokens, an HSM in production). A key is found by its label:
`user:<username>` for a person's signature, `agency:<code>` for an issuing agency's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.sign import signers
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, RevokedError, ValidationError
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)

CA_FILE = "ca.pem"
CRL_FILE = "ca.crl"  # the demo CA's revocation list (PEM), remade by `flask pki revoke`
CRL_DAYS = 365  # how long the demo list is current (`pki demo`, `pki revoke` renew it); a stale
# list is no proof of anything, so signing then stops: a real CA publishes daily, into APP_CRL


def user_label(username: str) -> str:
    return f"user:{username}"


def agency_label(code: str, issued_as: str | None = None) -> str:
    """The agency's seal; `issued_as`: that of another body it issues as (its symbol, "UBND"),
    so that a document is sealed in the name its header prints."""
    return f"agency:{code}" if issued_as is None else f"agency:{code}:{issued_as}"


def seal_label(code: str, own: str | None, symbol: str) -> str:
    """The seal of a document numbered `symbol` ("KH-UBND") by the agency `code`, whose own
    symbol is `own`: the agency's, or the other body's it was issued as."""
    _, _, issuer = symbol.partition("-")
    return agency_label(code, None if not issuer or issuer == own else issuer)


class KeyStore(Protocol):
    def signers(self, labels: Iterable[str]) -> AbstractContextManager[dict[str, signers.Signer]]:
        """A context giving the signers found among `labels` (absent labels are left out)."""
        ...

    def trust_roots(self) -> list[asn1_x509.Certificate]: ...

    def crls(self) -> list[asn1_crl.CertificateList]: ...


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

    def crls(self) -> list[asn1_crl.CertificateList]:
        return revocation_lists(self.directory / CRL_FILE)


@dataclass(frozen=True)
class Pkcs11Store:
    """Keys on a PKCS#11 token: each key and its certificate under the key's label."""

    module: str
    token: str
    pin: str
    roots: Path | None  # PEM of the trusted CAs
    crl: Path | None = None  # their revocation lists (PEM or DER), as last fetched

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

    def crls(self) -> list[asn1_crl.CertificateList]:
        return [] if self.crl is None else revocation_lists(self.crl)


def pem_certificates(path: Path) -> list[asn1_x509.Certificate]:
    if not path.exists():
        return []
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    return [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs]


def revocation_lists(path: Path) -> list[asn1_crl.CertificateList]:
    """The CRLs in `path` (PEM, one or more, or a single DER list); none when it is absent."""
    if not path.exists():
        return []
    data = path.read_bytes()
    if not data.lstrip().startswith(b"-----"):
        return [asn1_crl.CertificateList.load(data)]
    return [
        asn1_crl.CertificateList.load(
            x509.load_pem_x509_crl(b"-----BEGIN X509 CRL-----" + block).public_bytes(
                serialization.Encoding.DER
            )
        )
        for block in data.split(b"-----BEGIN X509 CRL-----")[1:]
    ]


def validation_context(
    roots: Sequence[asn1_x509.Certificate],
    crls: Sequence[asn1_crl.CertificateList] = (),
    at: dt.datetime | None = None,
) -> ValidationContext:
    """How a certificate is judged, at signing and in a check: it chains to `roots`, and when
    revocation lists are at hand a signer's certificate must be found on none of them (the
    demo's certificates name no distribution point, so the library's default would never
    look); nothing is fetched from the network."""
    rule = RevocationCheckingRule.CRL_REQUIRED if crls else RevocationCheckingRule.NO_CHECK
    policy = RevocationCheckingPolicy(rule, RevocationCheckingRule.CHECK_IF_DECLARED_SOFT)
    return ValidationContext(
        trust_roots=list(roots),
        crls=list(crls),
        moment=at,
        allow_fetching=False,
        revinfo_policy=CertRevTrustPolicy(policy),
    )


def certificate_problem(
    cert: asn1_x509.Certificate,
    roots: Sequence[asn1_x509.Certificate],
    crls: Sequence[asn1_crl.CertificateList],
    at: dt.datetime,
) -> str | None:
    """Why `cert` may not sign at `at`: "expired" (or not yet valid), "revoked" (on one of
    `crls`), "untrusted" (it does not chain to `roots`); None when it may. Without roots only
    the dates are checked: a store that names no CA cannot say more."""
    if not cert.not_valid_before <= at <= cert.not_valid_after:
        return "expired"
    if not roots:
        return None
    validator = CertificateValidator(cert, validation_context=validation_context(roots, crls, at))
    try:
        asyncio.run(validator.async_validate_usage({"digital_signature"}))  # type: ignore[no-untyped-call]
    except RevokedError:
        return "revoked"
    except (PathBuildingError, ValidationError):
        return "untrusted"
    return None


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
    none yet, from the demo CA, whose revocation list it renews; the labels made."""
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
    publish_crl(store.directory, now)
    return made


def publish_crl(
    directory: Path, now: dt.datetime, revoke: Iterable[x509.Certificate] = ()
) -> x509.CertificateRevocationList:
    """The demo CA's revocation list, current for CRL_DAYS from `now`: what it listed before,
    and `revoke` (revoked at `now`)."""
    ca_key, ca_cert = demo_ca(directory, now)
    path = directory / CRL_FILE
    before = list(x509.load_pem_x509_crl(path.read_bytes())) if path.exists() else []
    listed = {entry.serial_number for entry in before}
    added = [
        x509.RevokedCertificateBuilder()
        .serial_number(cert.serial_number)
        .revocation_date(now)
        .build()
        for cert in revoke
        if cert.serial_number not in listed
    ]
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=CRL_DAYS))
        .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
    )
    for entry in [*before, *added]:
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(ca_key, hashes.SHA256())
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return crl


def revoke(store: Pkcs12Store, label: str, now: dt.datetime) -> bool:
    """Put the certificate of `label`'s key on the demo CA's list; False: no such key."""
    if not store.path(label).exists():
        return False
    _, cert, _ = pkcs12.load_key_and_certificates(store.path(label).read_bytes(), store.passphrase)
    assert cert is not None
    publish_crl(store.directory, now, [cert])
    return True

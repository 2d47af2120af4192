"""Settings, each read once from an `APP_*` environment variable, with embedded defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.db.sealed import parse_keys
from service.documents.keys import (
    CA_FILE,
    KeyStore,
    Pkcs11Store,
    Pkcs12Store,
    pem_certificates,
    revocation_lists,
)
from workflows.budget import Budget

MIN_SECRET_KEY = 32  # characters of APP_SECRET_KEY in production


class UnsafeConfiguration(RuntimeError):
    """Production refuses to start with demo settings; the message says what to change."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    production: bool = False  # APP_ENV=production: refuse demo secrets and passwords
    token_ttl_seconds: int = 8 * 3600
    # how long a worker keeps a caller's actor (user, roles, grants) between requests; this
    # worker forgets it at once when the directory changes, other workers after this long
    actor_cache_seconds: float = 5.0
    idle_timeout_seconds: int = 30 * 60  # a page session unused this long ends
    audit_key_path: Path = Path("instance/audit_ed25519.pem")  # Ed25519, made on first use
    witness_dir: Path = Path("instance/witness")  # copies of signed checkpoints: keep it elsewhere
    checkpoint_minutes: int = 15  # the scheduler signs this often, and after every signing
    smtp_host: str | None = None  # reminders also go by e-mail when set
    smtp_port: int = 25
    smtp_sender: str = "ngayhoi-antq@localhost"
    # Digital signatures of issued PDFs: PKCS#12 files in `pki_dir` (`flask pki demo` makes the
    # demo's), or a PKCS#11 token when `pkcs11_module` is set; none: PDFs go out unsigned.
    pki_dir: Path | None = None
    pki_passphrase: str = "demo"  # noqa: S105 -- the demo keys' (published in the README)
    pkcs11_module: str | None = None
    pkcs11_token: str = ""
    pkcs11_pin: str = ""
    trust_roots: Path | None = None  # PEM: the CAs whose certificates /documents/check trusts
    # where attached files' bytes are (service.db.attachment_store): "database", "folder"
    # (attachments_dir) or "s3" (s3_bucket at s3_endpoint; boto3 reads the AWS_* credentials)
    storage: str = "database"
    attachments_dir: Path | None = None
    s3_bucket: str | None = None
    s3_endpoint: str | None = None  # another S3-compatible server than AWS: its URL
    s3_region: str | None = None
    crl: Path | None = None  # their revocation lists (PEM or DER); default: the demo CA's
    tsa_url: str | None = None  # an RFC 3161 time-stamping authority: signatures carry its time
    # Fernet keys sealing the TOTP seeds, newest first (service.db.sealed); none: the dev key
    totp_keys: tuple[bytes, ...] = ()

    # a plan signed to more units than this is issued to them by the worker, in batches
    # (None: service.operations.cascade.INLINE_MAX)
    fanout_inline_max: int | None = None

    # what one run of a diagram's script or condition may spend (workflows.budget)
    script_time_ms: int = Budget.time_ms
    script_operations: int = Budget.operations
    script_value_bytes: int = Budget.value_bytes

    @property
    def script_budget(self) -> Budget:
        return Budget(self.script_time_ms, self.script_operations, self.script_value_bytes)

    @classmethod
    def from_env(cls) -> Settings:
        """APP_ENV (production, or anything else for development), APP_DATABASE_URL (default:
        SQLite in APP_INSTANCE_DIR), APP_SECRET_KEY (default outside production: a key generated
        once into APP_INSTANCE_DIR), APP_TOKEN_TTL_SECONDS (default 8 hours),
        APP_IDLE_TIMEOUT_SECONDS (default 30 minutes), APP_ACTOR_CACHE_SECONDS (default 5; 0:
        every request loads its caller afresh),
        APP_AUDIT_KEY_PATH and APP_WITNESS_DIR (default: in APP_INSTANCE_DIR),
        APP_CHECKPOINT_MINUTES (default 15; 0: the scheduler never signs), APP_SMTP_HOST,
        APP_SMTP_PORT and APP_SMTP_SENDER (default: no e-mail), APP_PKI_DIR and
        APP_PKI_PASSPHRASE (default outside production: APP_INSTANCE_DIR/pki, "demo"),
        APP_PKCS11_MODULE, APP_PKCS11_TOKEN, APP_PKCS11_PIN, APP_TRUST_ROOTS (a PEM file) and
        APP_CRL (the trust roots' revocation lists, a file kept current by the deployment),
        APP_TSA_URL (an RFC 3161 time-stamping authority; default: none),
        APP_STORAGE (database, folder or s3; default: folder if APP_ATTACHMENTS_DIR is set, else
        database), APP_ATTACHMENTS_DIR (the folder), APP_S3_BUCKET, APP_S3_ENDPOINT and
        APP_S3_REGION (the bucket; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY its credentials),
        APP_TOTP_KEY (Fernet keys sealing the second factors' seeds, comma-separated, newest
        first; required in production, default elsewhere: the published development key),
        APP_FANOUT_INLINE_MAX (a plan signed to more units is issued to them by the worker;
        default 200), APP_SCRIPT_TIME_MS,
        APP_SCRIPT_OPERATIONS and APP_SCRIPT_VALUE_BYTES (a diagram script's budget: default
        200 ms, 1,000,000 loop iterations or calls, 1 MB stored)."""
        instance = Path(os.environ.get("APP_INSTANCE_DIR", "instance")).resolve()
        instance.mkdir(parents=True, exist_ok=True)
        production = os.environ.get("APP_ENV") == "production"
        # Several processes and machines must share one key, so production takes no default.
        default_key = "" if production else _instance_secret(instance)
        return cls(
            database_url=os.environ.get(
                "APP_DATABASE_URL", f"sqlite:///{instance / 'antq.sqlite3'}"
            ),
            secret_key=os.environ.get("APP_SECRET_KEY") or default_key,
            production=production,
            token_ttl_seconds=int(os.environ.get("APP_TOKEN_TTL_SECONDS", 8 * 3600)),
            actor_cache_seconds=float(os.environ.get("APP_ACTOR_CACHE_SECONDS", 5)),
            idle_timeout_seconds=int(os.environ.get("APP_IDLE_TIMEOUT_SECONDS", 30 * 60)),
            audit_key_path=Path(
                os.environ.get("APP_AUDIT_KEY_PATH", instance / "audit_ed25519.pem")
            ),
            witness_dir=Path(os.environ.get("APP_WITNESS_DIR", instance / "witness")),
            checkpoint_minutes=int(os.environ.get("APP_CHECKPOINT_MINUTES", 15)),
            smtp_host=os.environ.get("APP_SMTP_HOST") or None,
            smtp_port=int(os.environ.get("APP_SMTP_PORT", 25)),
            smtp_sender=os.environ.get("APP_SMTP_SENDER", cls.smtp_sender),
            pki_dir=_path(os.environ.get("APP_PKI_DIR"))
            or (None if production else instance / "pki"),
            pki_passphrase=os.environ.get("APP_PKI_PASSPHRASE", "" if production else "demo"),
            pkcs11_module=os.environ.get("APP_PKCS11_MODULE") or None,
            pkcs11_token=os.environ.get("APP_PKCS11_TOKEN", ""),
            pkcs11_pin=os.environ.get("APP_PKCS11_PIN", ""),
            trust_roots=_path(os.environ.get("APP_TRUST_ROOTS")),
            **_storage(),
            crl=_path(os.environ.get("APP_CRL")),
            tsa_url=os.environ.get("APP_TSA_URL") or None,
            totp_keys=_totp_keys(os.environ.get("APP_TOTP_KEY", "")),
            fanout_inline_max=_int(os.environ.get("APP_FANOUT_INLINE_MAX")),
            script_time_ms=int(os.environ.get("APP_SCRIPT_TIME_MS", Budget.time_ms)),
            script_operations=int(os.environ.get("APP_SCRIPT_OPERATIONS", Budget.operations)),
            script_value_bytes=int(os.environ.get("APP_SCRIPT_VALUE_BYTES", Budget.value_bytes)),
        )

    def key_store(self) -> KeyStore | None:
        """Where the signing keys are, or None: issued PDFs then carry no digital signature."""
        if self.pkcs11_module:
            return Pkcs11Store(
                self.pkcs11_module, self.pkcs11_token, self.pkcs11_pin, self.trust_roots, self.crl
            )
        if self.pki_dir is not None and (self.pki_dir / CA_FILE).exists():
            return Pkcs12Store(self.pki_dir, self.pki_passphrase.encode())
        return None

    def trusted_roots(self) -> list[Any]:
        """The CAs /documents/check trusts: APP_TRUST_ROOTS, else the key store's own CA."""
        if self.trust_roots is not None:
            return pem_certificates(self.trust_roots)
        keys = self.key_store()
        return [] if keys is None else keys.trust_roots()

    def trusted_crls(self) -> list[Any]:
        """The revocation lists /documents/check consults: APP_CRL, else the key store's."""
        if self.crl is not None:
            return revocation_lists(self.crl)
        keys = self.key_store()
        return [] if keys is None else keys.crls()


def _totp_keys(value: str) -> tuple[bytes, ...]:
    try:
        return parse_keys(value)
    except ValueError as err:
        raise UnsafeConfiguration(
            f"APP_TOTP_KEY: {err} Make one with python3 -c 'from cryptography.fernet "
            "import Fernet; print(Fernet.generate_key().decode())'"
        ) from err


STORAGES = ("database", "folder", "s3")


def _storage() -> dict[str, Any]:
    """APP_STORAGE and what the chosen store needs; a store missing its place stops the start."""
    folder = _path(os.environ.get("APP_ATTACHMENTS_DIR"))
    kind = os.environ.get("APP_STORAGE") or ("folder" if folder else "database")
    bucket = os.environ.get("APP_S3_BUCKET") or None
    if kind not in STORAGES:
        raise UnsafeConfiguration(f"APP_STORAGE: one of {', '.join(STORAGES)}, not {kind!r}.")
    if kind == "folder" and folder is None:
        raise UnsafeConfiguration("APP_STORAGE=folder needs APP_ATTACHMENTS_DIR.")
    if kind == "s3" and bucket is None:
        raise UnsafeConfiguration("APP_STORAGE=s3 needs APP_S3_BUCKET.")
    return {
        "storage": kind,
        "attachments_dir": folder,
        "s3_bucket": bucket,
        "s3_endpoint": os.environ.get("APP_S3_ENDPOINT") or None,
        "s3_region": os.environ.get("APP_S3_REGION") or None,
    }


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _int(value: str | None) -> int | None:
    return int(value) if value else None


def _instance_secret(instance: Path) -> str:
    """The embedded default's key: made on first start, kept so tokens survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()

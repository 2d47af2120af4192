"""Settings, each read once from an `APP_*` environment variable, with embedded defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

MIN_SECRET_KEY = 32  # characters of APP_SECRET_KEY in production


class UnsafeConfiguration(RuntimeError):
    """Production refuses to start with demo settings; the message says what to change."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    production: bool = False  # APP_ENV=production: refuse demo secrets and passwords
    token_ttl_seconds: int = 8 * 3600
    idle_timeout_seconds: int = 30 * 60  # a page session unused this long ends
    audit_key_path: Path = Path("instance/audit_ed25519.pem")  # Ed25519, made on first use
    witness_dir: Path = Path("instance/witness")  # copies of signed checkpoints: keep it elsewhere
    checkpoint_minutes: int = 15  # the scheduler signs this often, and after every signing
    smtp_host: str | None = None  # reminders also go by e-mail when set
    smtp_port: int = 25
    smtp_sender: str = "ngayhoi-antq@localhost"

    @classmethod
    def from_env(cls) -> Settings:
        """APP_ENV (production, or anything else for development), APP_DATABASE_URL (default:
        SQLite in APP_INSTANCE_DIR), APP_SECRET_KEY (default outside production: a key generated
        once into APP_INSTANCE_DIR), APP_TOKEN_TTL_SECONDS (default 8 hours),
        APP_IDLE_TIMEOUT_SECONDS (default 30 minutes),
        APP_AUDIT_KEY_PATH and APP_WITNESS_DIR (default: in APP_INSTANCE_DIR),
        APP_CHECKPOINT_MINUTES (default 15; 0: the scheduler never signs), APP_SMTP_HOST,
        APP_SMTP_PORT and APP_SMTP_SENDER (default: no e-mail)."""
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
            idle_timeout_seconds=int(os.environ.get("APP_IDLE_TIMEOUT_SECONDS", 30 * 60)),
            audit_key_path=Path(
                os.environ.get("APP_AUDIT_KEY_PATH", instance / "audit_ed25519.pem")
            ),
            witness_dir=Path(os.environ.get("APP_WITNESS_DIR", instance / "witness")),
            checkpoint_minutes=int(os.environ.get("APP_CHECKPOINT_MINUTES", 15)),
            smtp_host=os.environ.get("APP_SMTP_HOST") or None,
            smtp_port=int(os.environ.get("APP_SMTP_PORT", 25)),
            smtp_sender=os.environ.get("APP_SMTP_SENDER", cls.smtp_sender),
        )


def _instance_secret(instance: Path) -> str:
    """The embedded default's key: made on first start, kept so tokens survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()

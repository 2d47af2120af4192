"""The application factory."""

from __future__ import annotations

from flask import Flask

from service import api, cli, web
from service.config import Settings
from service.db.base import utcnow
from service.db.session import make_engine, make_session_factory
from service.mail import SmtpMailer


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TOKEN_TTL_SECONDS=settings.token_ttl_seconds,
        IDLE_TIMEOUT_SECONDS=settings.idle_timeout_seconds,
        DATABASE_URL=settings.database_url,
        AUDIT_KEY_PATH=settings.audit_key_path,
        WITNESS_DIR=settings.witness_dir,
    )
    app.extensions["mailer"] = (
        None
        if settings.smtp_host is None
        else SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Vietnamese as UTF-8, not \u escapes
    engine = make_engine(settings.database_url)
    app.extensions["db_engine"] = engine
    app.extensions["session_factory"] = make_session_factory(engine)
    app.extensions["clock"] = utcnow  # replaced by tests that move time forward
    api.init_app(app)
    web.init_app(app)  # after the API: its blueprints are exempted from CSRF
    cli.init_app(app)
    return app

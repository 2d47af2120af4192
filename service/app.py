"""The application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from service import api, cli, web
from service.config import Settings
from service.db.base import MAX_ID, utcnow
from service.db.session import make_engine, make_session_factory
from service.mail import SmtpMailer
from service.text_input import refuse_unstorable_text


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: a number past the database's integers matches no route (404)
    instead of overflowing the query (found by fuzzing: 500s on /tasks/<huge>/claim)."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = None) -> None:
        super().__init__(url_map, fixed_digits, min, MAX_ID)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.url_map.converters["int"] = DatabaseId  # before any route is added
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
    app.before_request(refuse_unstorable_text)
    api.init_app(app)
    web.init_app(app)  # after the API: its blueprints are exempted from CSRF
    cli.init_app(app)
    return app

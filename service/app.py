"""The application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import Engine
from werkzeug.routing import IntegerConverter, Map, Rule

from service import api, cli, web
from service.attachment_http import MAX_BODY
from service.cli import DEMO_PASSWORD
from service.config import MIN_SECRET_KEY, Settings, UnsafeConfiguration
from service.db.attachment_store import store_for
from service.db.base import MAX_ID, utcnow
from service.db.roles import unsafe_role
from service.db.sealed import DEV_KEY, KeyMismatch, use_keys
from service.db.session import make_engine, make_session_factory
from service.db.uow import UnitOfWork
from service.mail import SmtpMailer
from service.operations.actors import ActorCache, users_with_password
from service.operations.agency_cache import keep_agencies
from service.operations.users import second_factors_opening
from service.text_input import JsonProvider, refuse_unstorable_text
from workflows.runtime import set_script_budget


class DatabaseId(IntegerConverter):
    """`<int:…>` in every route: a number past the database's integers matches no route (404)
    instead of overflowing the query (found by fuzzing: 500s on /tasks/<huge>/claim)."""

    def __init__(self, url_map: Map, fixed_digits: int = 0, min: int | None = None) -> None:
        super().__init__(url_map, fixed_digits, min, MAX_ID)


class LazyRule(Rule):
    """A route whose URL builders are compiled at their first use. Werkzeug compiles both
    builders of every route as it is added (Python source built and compiled, twice per
    route): about two thirds of making the app, though a worker builds URLs for a few of its
    routes only. Each builder replaces itself with the compiled one the first time it runs;
    two threads doing so at once compile the same function twice, harmlessly."""

    def _compile_builder(self, append_unknown: bool = True) -> Any:
        name = "_build_unknown" if append_unknown else "_build"

        def first_build(rule: Rule, **values: Any) -> Any:
            compiled = Rule._compile_builder(rule, append_unknown).__get__(rule, None)
            setattr(rule, name, compiled)
            return compiled(**values)

        return first_build


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per key rather
    than at every request (every request opens the session, an API request too)."""

    def __init__(self) -> None:
        self._made: tuple[Any, Any] | None = None  # (keys, serializer)

    def get_signing_serializer(self, app: Flask) -> Any:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        made = self._made
        if made is None or made[0] != keys:
            made = self._made = (keys, super().get_signing_serializer(app))
        return made[1]


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.url_rule_class = LazyRule  # before any route is added, as the converter
    app.url_map.converters["int"] = DatabaseId
    app.session_interface = SessionCookies()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        TOKEN_TTL_SECONDS=settings.token_ttl_seconds,
        IDLE_TIMEOUT_SECONDS=settings.idle_timeout_seconds,
        DATABASE_URL=settings.database_url,
        AUDIT_KEY_PATH=settings.audit_key_path,
        WITNESS_DIR=settings.witness_dir,
        CHECKPOINT_MINUTES=settings.checkpoint_minutes,
    )
    set_script_budget(settings.script_budget)  # the engine is shared by every app in a process
    use_keys(settings.totp_keys)  # so is the key ring of the sealed second factors
    if not settings.totp_keys and not settings.production:
        app.logger.warning("APP_TOTP_KEY is not set: second factors are sealed with the dev key")
    app.extensions["mailer"] = (
        None
        if settings.smtp_host is None
        else SmtpMailer(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
    )
    app.json = JsonProvider(app)  # Vietnamese as UTF-8, not \u escapes; no depth a parser fails on
    engine = make_engine(settings.database_url)
    if settings.production:
        _refuse_demo_settings(settings, engine, app)
    app.extensions["db_engine"] = engine
    app.extensions["session_factory"] = make_session_factory(engine)
    app.extensions["actors"] = actors = ActorCache(settings.actor_cache_seconds)
    actors.watch(engine)
    keep_agencies(engine, actors)  # for signings, starts, issuings: forgotten with the actors
    app.extensions["settings"] = settings
    app.extensions["attachments"] = store_for(
        settings.storage,
        settings.attachments_dir,
        settings.s3_bucket,
        settings.s3_endpoint,
        settings.s3_region,
    )
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY  # no request body is larger (413)
    app.extensions["clock"] = utcnow  # replaced by tests that move time forward
    app.extensions["session_clock"] = utcnow  # sessions and the security log: real time
    app.before_request(refuse_unstorable_text)
    api.init_app(app)
    web.init_app(app)  # after the API: its blueprints are exempted from CSRF
    cli.init_app(app)
    return app


def _refuse_demo_settings(settings: Settings, engine: Engine, app: Flask) -> None:
    """:raise UnsafeConfiguration: no APP_SECRET_KEY or APP_TOTP_KEY of its own, or not the
    key the stored seeds were sealed with, demo passwords
    in use, or a PostgreSQL user that could rewrite the audit log (service.db.roles)."""
    if len(settings.secret_key) < MIN_SECRET_KEY:
        raise UnsafeConfiguration(
            f"APP_ENV=production needs APP_SECRET_KEY of at least {MIN_SECRET_KEY} characters, "
            "the same for every web process and scheduler "
            "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    if not settings.totp_keys or DEV_KEY in settings.totp_keys:
        raise UnsafeConfiguration(
            "APP_ENV=production needs APP_TOTP_KEY of its own, to seal the second factors' "
            "seeds (python3 -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'); keep it apart from the database's backups."
        )
    _refuse_wrong_totp_key(app, engine)
    demo = users_with_password(UnitOfWork(make_session_factory(engine), write=False), DEMO_PASSWORD)
    engine.dispose()  # gunicorn forks after this (preload_app): no connection crosses the fork
    if demo:
        raise UnsafeConfiguration(
            f"APP_ENV=production refuses to start: {len(demo)} users still have the demo "
            f"password ({', '.join(demo[:5])}{', …' if len(demo) > 5 else ''}); "
            "the demo directory (flask load-demo) is for trying the service only: start "
            "production from an empty database and add users with create-user."
        )
    unsafe = unsafe_role(engine)
    engine.dispose()  # again: no connection crosses the fork
    if unsafe:
        raise UnsafeConfiguration(
            f"APP_ENV=production refuses to start: {unsafe}, so it could disable the audit "
            "log's triggers or rewrite it. Run the migrations as the owner, create the "
            "service's role with `flask --app service db create-app-role NAME` and set "
            "APP_DATABASE_URL to that role (README, Production)."
        )


def _refuse_wrong_totp_key(app: Flask, engine: Engine) -> None:
    """:raise UnsafeConfiguration: seeds are stored and APP_TOTP_KEY opens none of them (every
    second factor would answer 503); some only: logged, as those users' logins will be."""
    opened, stored = second_factors_opening(UnitOfWork(make_session_factory(engine), write=False))
    engine.dispose()  # no connection crosses the fork
    if stored and not opened:
        raise UnsafeConfiguration(f"APP_ENV=production refuses to start: {KeyMismatch()}.")
    if opened < stored:
        app.logger.error(
            "%s of %s second factors do not open: %s, or reset theirs with "
            "`flask users reset-second-factor`",
            stored - opened,
            stored,
            KeyMismatch(),
        )

"""`flask --app service …` commands: set up the database, deploy diagrams, load demo data."""

from __future__ import annotations

import gc
import itertools
import json
import multiprocessing
import signal
import time
import tomllib
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click
from flask import Flask, current_app
from sqlalchemy import func, select

from service.audit_cli import audit
from service.config import Settings
from service.db.base import utcnow
from service.db.migrate import upgrade
from service.db.models import ProcessInstance, RenderJob
from service.db.roles import grant_app_role
from service.db.session import DATABASE_AWAY, checkpoint_wal
from service.db.uow import UnitOfWork
from service.demo import bac_giang, campaigns
from service.documents.keys import (
    CRL_FILE,
    KeyStore,
    Pkcs12Store,
    agency_label,
    demo_keys,
    revoke,
    user_label,
)
from service.documents.pades import timestamper
from service.errors import NotFound
from service.operations.actors import SYSTEM, password_hasher
from service.operations.audit import checkpoint, checkpoint_due
from service.operations.dashboard_figures import refresh_figures
from service.operations.definitions import deploy
from service.operations.directory import load_directory
from service.operations.fanout import BATCH as FANOUT_BATCH
from service.operations.fanout import any_due as fanout_due
from service.operations.fanout import issue_pending
from service.operations.rendering import LEASE, any_due, render_pending, worker_name
from service.operations.scheduler import tick
from service.operations.second_factor import disable_user as disable
from service.operations.sessions import set_password as change_password
from service.queries.dashboard import compute_figures
from service.queries.directory import key_holders
from service.users_cli import users

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper

DEMO = Path(__file__).parent / "demo"
BPMN = Path(__file__).parent.parent / "bpmn"
DEMO_PASSWORD = "demo-2023"  # noqa: S105  # published in the README; demo data only
DEMO_TOTP_SECRET = "NGAYHOITOANDANBAOVEANNINHTOQUOCX"  # noqa: S105  # published in the README; demo data only


def init_app(app: Flask) -> None:
    commands = (
        init_db,
        deploy_diagrams,
        load_demo,
        create_user,
        disable_user,
        set_password,
        db,
        scheduler,
        render_worker,
        audit,
        pki,
        users,
    )
    for command in commands:
        app.cli.add_command(command)


def _uow(write: bool = True) -> UnitOfWork:
    return UnitOfWork(
        current_app.extensions["session_factory"],
        write=write,
        clock=current_app.extensions["clock"],
    )


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic)."""
    upgrade(current_app.config["DATABASE_URL"])
    click.echo("database at the newest schema")


@click.command("deploy-diagrams")
@click.argument(
    "folder", type=click.Path(exists=True, file_okay=False, path_type=Path), default=BPMN
)
def deploy_diagrams(folder: Path) -> None:
    """Validate and deploy every .bpmn file of FOLDER (default: bpmn/)."""
    _deploy_all(folder)


def _deploy_all(folder: Path) -> None:
    for path in sorted(folder.glob("*.bpmn")):
        row, created = deploy(_uow(), SYSTEM, path.name, path.read_bytes())
        state = "deployed" if created else "unchanged"
        click.echo(f"{path.name}: {row.process_id} v{row.version} {state}")


@click.command("load-demo")
@click.option(
    "--demo-otp",
    is_flag=True,
    help="Enrol administrators and signers with the README's demo TOTP secret.",
)
def load_demo(demo_otp: bool) -> None:
    """Migrate the database and deploy the shipped diagrams (as init-db and deploy-diagrams),
    load the demo directory (seeds 000–003) with the README's demo password, and on an
    empty database the story since 2025: Thanh Hóa's movement plan of 2025 (seed 004) across
    the reorganisation of 1 July 2025, two years of its Ngày hội plan (for the supervisors'
    dashboard), and Bắc Giang's last cycle (seeds 002 and 003) before it merged into Bắc Ninh.
    The signed documents and the demo signing keys are left to `flask pki demo` and then
    `flask render-worker`, which scripts/run.sh starts beside the server: the pages say "being
    prepared" until the worker has rendered and signed them, seconds later."""
    started = time.monotonic()

    def phase(what: str) -> None:  # each phase's time, to see where a slow start goes
        nonlocal started
        click.echo(f"{what} in {time.monotonic() - started:.1f} s")
        started = time.monotonic()

    # what init-db and deploy-diagrams do (both idempotent), in this one process: each
    # `flask` command pays seconds of start-up
    upgrade(current_app.config["DATABASE_URL"])
    _deploy_all(BPMN)
    phase("database at the newest schema, diagrams deployed")
    directory = tomllib.loads((DEMO / "directory.toml").read_text(encoding="utf-8"))
    secret = DEMO_TOTP_SECRET if demo_otp else None
    added = load_directory(_uow(), directory, password_hasher().hash(DEMO_PASSWORD), secret)
    phase(f"demo directory: {added} new agencies and users")
    factory = current_app.extensions["session_factory"]
    with factory() as session:
        if session.scalar(select(func.count()).select_from(ProcessInstance)):
            return  # the demo campaigns are played once, on an empty database
    click.echo("demo campaigns: playing 2025 across the reorganisation, then to today…")
    # one timeline, so that each audit chain is written in time order, up to now
    campaigns.play(
        factory,
        current_app.extensions["clock"](),
        click.echo,
        stories=[lambda player: bac_giang.schedule(player, click.echo)],
    )
    phase("demo campaigns: played")
    phase(f"dashboard figures: {refresh_figures(_uow, compute_figures)} campaigns refreshed")
    with factory() as session:
        waiting = session.scalar(
            select(func.count()).select_from(RenderJob).where(RenderJob.done_at.is_(None))
        )
    click.echo(f"demo documents: {waiting} left to the render worker (flask render-worker)")


@click.command("create-user")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--agency", required=True, help="agency code")
@click.option("--role", "roles", multiple=True)
@click.option("--email", default=None, help="for e-mailed reminders")
@click.password_option()
def create_user(
    username: str,
    full_name: str,
    agency: str,
    roles: tuple[str, ...],
    email: str | None,
    password: str,
) -> None:
    """Create a user in an existing agency."""
    user = {
        "username": username,
        "full_name": full_name,
        "agency": agency,
        "roles": list(roles),
        "email": email,
    }
    added = load_directory(_uow(), {"user": [user]}, password_hasher().hash(password))
    click.echo(json.dumps({"created": bool(added), "username": username}))


@click.command("disable-user")
@click.argument("username")
def disable_user(username: str) -> None:
    """Disable a user; their sessions and tokens end at their next request."""
    try:
        disable(_uow(), username)
    except NotFound as err:
        raise click.ClickException(f"no user {username!r}") from err
    click.echo(json.dumps({"disabled": username}))


@click.command("set-password")
@click.argument("username")
@click.password_option()
def set_password(username: str, password: str) -> None:
    """Give a user a new password; every session and token of theirs ends."""
    try:
        ended = change_password(_uow(), username, password, utcnow())
    except NotFound as err:
        raise click.ClickException(f"no user {username!r}") from err
    click.echo(json.dumps({"password_set": username, "sessions_ended": ended}))


@click.group("db")
def db() -> None:
    """The database's roles (PostgreSQL)."""


@db.command("create-app-role")
@click.argument("name")
@click.password_option(help="the role's login password")
def create_app_role(name: str, password: str) -> None:
    """Create (or re-grant, after a migration added tables) the restricted role the service
    runs as: it reads and writes the business tables, only appends to the audit log, owns
    nothing. Run it as the tables' owner, the one who runs the migrations."""
    engine = current_app.extensions["db_engine"]
    try:
        grant_app_role(engine, name, password)
    except ValueError as err:
        raise click.ClickException(str(err)) from err
    click.echo(json.dumps({"role": name, "database": engine.url.database}))


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run one pass and exit.")
@click.option("--interval", default=60, show_default=True, help="Seconds between passes.")
@click.option(
    "--checkpoint-minutes",
    type=int,
    help="Sign an audit checkpoint every N minutes, and after every signing (0: never; "
    "default APP_CHECKPOINT_MINUTES, 15).",
)
def scheduler(once: bool, interval: int, checkpoint_minutes: int | None) -> None:
    """Fire due timers, move deadline states and send reminders, every INTERVAL seconds;
    sign an audit checkpoint every N minutes and at the first pass after a signing."""
    config = current_app.config
    minutes = config["CHECKPOINT_MINUTES"] if checkpoint_minutes is None else checkpoint_minutes
    pause = 0.0  # while the database is away: seconds waited before the next try
    if not once:  # what is loaded now stays for the process's life: see the render worker's
        gc.freeze()
    for _ in itertools.count(1):
        try:
            report = tick(_uow, current_app.extensions["mailer"], compute_figures)
            checkpoint_wal(current_app.extensions["db_engine"])
        except DATABASE_AWAY as err:
            if once:
                raise
            pause = _database_away("scheduler", err, pause)
            continue
        pause = 0.0
        click.echo(
            f"timers fired: {report.timers_fired}, deadline changes: {report.deadline_changes}, "
            f"reminders sent: {report.reminders_sent}, e-mails sent: {report.emails_sent}, "
            f"reorganisations applied: {report.reorganisations_applied}, "
            f"dashboards refreshed: {report.figures_refreshed}"
        )
        try:
            due = minutes and checkpoint_due(_uow(write=False), timedelta(minutes=minutes))
            signed = (
                checkpoint(_uow(), SYSTEM, config["AUDIT_KEY_PATH"], config["WITNESS_DIR"])
                if due
                else None
            )
        except Exception as err:  # timers and reminders go on; the next pass tries again
            click.echo(f"audit checkpoint failed: {err!r}", err=True)
        else:
            if signed is not None:
                click.echo(f"audit checkpoint {signed['id']}: {signed['tree_size']} events")
        if once:
            return
        time.sleep(interval)


@click.command("render-worker")
@click.option("--processes", default=1, show_default=True, help="Worker processes.")
@click.option("--batch", default=4, show_default=True, help="Jobs taken at once by a process.")
@click.option(
    "--interval", default=1.0, show_default=True, help="Seconds between looks at an empty queue."
)
@click.option(
    "--lease",
    default=int(LEASE.total_seconds()),
    show_default=True,
    help="Seconds a job stays with its worker; then another may take it.",
)
@click.option(
    "--units-per-batch",
    default=FANOUT_BATCH,
    show_default=True,
    help="Units of a plan issued per transaction.",
)
@click.option(
    "--nice",
    default=10,
    type=click.IntRange(min=0),  # a thread may lower its priority, not raise it
    show_default=True,
    help="How much lower than the web server's the renderings' CPU priority is (0: the same).",
)
@click.option(
    "--once", is_flag=True, help="Issue every plan and render every document due now, then exit."
)
def render_worker(
    processes: int,
    batch: int,
    interval: float,
    lease: int,
    units_per_batch: int,
    nice: int,
    once: bool,
) -> None:
    """Render signed documents (DOCX, PDF) and record their hashes in the audit log; issue
    plans signed to many units (APP_FANOUT_INLINE_MAX) to them, a batch per transaction.

    Several processes (and machines, on PostgreSQL) may run at once: each takes its own jobs.
    A job whose worker was killed is taken again when its lease expires. SIGTERM or SIGINT
    stops after the batch in hand.

    A document takes about half a second of CPU to render and nobody waits on it; a request
    does, so the renderings yield the CPU to the web server's (`--nice`; not the transactions,
    which hold the database's write turn). `--once` keeps the caller's priority: it is a drain
    the caller waits on.
    """
    nice = 0 if once else nice
    if once or processes <= 1:
        _render_loop(batch, interval, lease, units_per_batch, nice, once)
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # for the children
    app.extensions["db_engine"].dispose()  # no connection crosses the fork
    context = multiprocessing.get_context("fork")
    children: list[multiprocessing.process.BaseProcess] = []
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.is_alive():
                child.terminate()  # SIGTERM: each finishes its batch

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(processes):
        children.append(
            context.Process(
                target=_render_child, args=(app, batch, interval, lease, units_per_batch, nice)
            )
        )
        children[-1].start()
    while not stopping:  # a child that died (killed, out of memory) is replaced
        for index, child in enumerate(children):
            if not child.is_alive() and not stopping:
                click.echo(f"render worker {child.pid} exited ({child.exitcode}): restarting")
                children[index] = context.Process(
                    target=_render_child, args=(app, batch, interval, lease, units_per_batch, nice)
                )
                children[index].start()
        time.sleep(1)
    for child in children:
        child.join()


def _render_child(
    app: Flask, batch: int, interval: float, lease: int, units: int, nice: int
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    with app.app_context():
        _render_loop(batch, interval, lease, units, nice, once=False)


def _render_loop(
    batch: int, interval: float, lease: int, units: int, nice: int, once: bool
) -> None:
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, stop)  # Ctrl-C too: the document in hand is finished
    name = worker_name()
    settings: Settings = current_app.extensions["settings"]
    keys, tsa = settings.key_store(), timestamper(settings.tsa_url)
    signing = "signing PDFs" if keys is not None else "no signing keys: PDFs unsigned"
    if keys is not None and tsa is not None:
        signing += f", timestamped by {settings.tsa_url}"
    click.echo(f"render worker {name}: ready, {signing}")
    if not once:
        # what is loaded now stays for the process's life: full collections would walk it
        # each time, 150 ms with the database's write turn possibly held (see
        # gunicorn.conf.py's pre_fork)
        gc.freeze()
    pause = 0.0  # while the database is away: seconds waited before the next try
    while not stopping:
        try:
            busy = _render_pass(name, batch, lease, units, keys, tsa, nice)
            checkpoint_wal(current_app.extensions["db_engine"])  # a pass: a few documents
        except DATABASE_AWAY as err:
            if once:
                raise
            pause = _database_away(f"render worker {name}", err, pause)
            continue
        pause = 0.0
        if busy:
            continue  # more may be due: look again at once
        if once:
            return
        time.sleep(interval)


def _render_pass(
    name: str,
    batch: int,
    lease: int,
    units: int,
    keys: KeyStore | None,
    tsa: TimeStamper | None,
    nice: int,
) -> bool:
    """One look at each queue: a batch of units to issue, then documents to render (neither
    queue starves the other). True when something was done: more may be due."""
    issued = 0
    if fanout_due(_uow(write=False)):
        fanout = issue_pending(_uow, limit=1, size=units)
        issued = fanout.batches + fanout.failed
        if issued:
            failed = ", a batch failed (retried later)" if fanout.failed else ""
            click.echo(f"render worker {name}: issued to {fanout.started} more units{failed}")
    if any_due(_uow(write=False)):
        report = render_pending(
            _uow,
            batch,
            batch=batch,
            worker=name,
            lease=timedelta(seconds=lease),
            keys=keys,
            tsa=tsa,
            nice=nice,
        )
        if report.rendered or report.failed or report.dropped:
            click.echo(
                f"render worker {name}: rendered {report.rendered}, failed {report.failed}, "
                f"dropped {report.dropped}"
            )
        if report.rendered + report.failed + report.dropped:
            return True
    return issued > 0


# the longest wait between two tries while the database is away: a SIGTERM waits for it
AWAY_PAUSE_MAX = 8.0


def _database_away(loop: str, err: Exception, paused: float) -> float:
    """A background loop outlives a database that is away (restarting, unreachable, SQLite
    locked past its timeout): the pool is replaced, the loop waits, longer each time up to
    AWAY_PAUSE_MAX, and tries again. The seconds it waited."""
    pause = min(AWAY_PAUSE_MAX, max(0.5, paused * 2))
    click.echo(f"{loop}: database unavailable ({err}); trying again in {pause:g} s", err=True)
    current_app.extensions["db_engine"].dispose()
    time.sleep(pause)
    return pause


@click.group("pki")
def pki() -> None:
    """Signing keys for the issued PDFs' digital signatures."""


@pki.command("demo")
def pki_demo() -> None:
    """Make the demo CA and a PKCS#12 key for every agency and every user who signs, in
    APP_PKI_DIR (never in production: a real deployment uses its CA's tokens or an HSM)."""
    settings: Settings = current_app.extensions["settings"]
    if settings.production or settings.pki_dir is None:
        raise click.UsageError("demo keys are for development: set APP_PKI_DIR, not in production")
    store = Pkcs12Store(settings.pki_dir, settings.pki_passphrase.encode())
    made = demo_keys(store, key_holders(_uow(write=False)), utcnow())
    click.echo(f"demo signing keys: {len(made)} made in {settings.pki_dir}")


@pki.command("revoke")
@click.argument("holder")
@click.option("--agency", is_flag=True, help="HOLDER is an agency's code, not a username.")
def pki_revoke(holder: str, agency: bool) -> None:
    """Put HOLDER's demo certificate on the demo CA's revocation list: they can sign no more,
    and /documents/check reports what they signed as revoked."""
    settings: Settings = current_app.extensions["settings"]
    if settings.production or settings.pki_dir is None:
        raise click.UsageError("the demo CA is for development: set APP_PKI_DIR, not in production")
    store = Pkcs12Store(settings.pki_dir, settings.pki_passphrase.encode())
    label = agency_label(holder) if agency else user_label(holder)
    if not revoke(store, label, utcnow()):
        raise click.UsageError(f"no demo key {label} in {settings.pki_dir}")
    click.echo(f"revoked: {label}; the list is {settings.pki_dir / CRL_FILE}")

"""`flask --app service audit …`: verify the log, sign a checkpoint, export or replay a process.

Each acts as the command line's SYSTEM actor (service.operations.actors): whoever runs them
holds the database and the key already, and the scheduler signs with no one at the keyboard.
Each prints JSON; `verify` and `replay` exit with status 1 when something is wrong, so a cron
job or a monitoring check can act on it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from service.db.uow import UnitOfWork
from service.errors import DomainError
from service.operations.actors import SYSTEM
from service.operations.audit import checkpoint, verify
from service.operations.audit_export import export
from service.operations.replay import replay
from service.operations.signing import fingerprint, public_pem, signing_key, verifying_key

# An AppGroup runs its commands inside the app context, also under the test CLI runner.
audit = AppGroup("audit", help="The tamper-evident audit log: verify, checkpoint, export, replay.")


def _uow(*, write: bool = True) -> UnitOfWork:
    extensions = current_app.extensions
    return UnitOfWork(extensions["session_factory"], write=write, clock=extensions["clock"])


def _echo(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


@audit.command("verify")
def verify_command() -> None:
    """Check every event, checkpoint and witness copy; name the first broken link."""
    key = verifying_key(current_app.config["AUDIT_KEY_PATH"])
    report = verify(_uow(write=False), SYSTEM, current_app.config["WITNESS_DIR"], key)
    _echo(report)
    if report["first_broken"] is not None:
        raise SystemExit(1)


@audit.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the Merkle root over every event so far and write it to the witness folder.

    Run it from a timer (every few minutes) as well as on demand.
    """
    config = current_app.config
    _echo(checkpoint(_uow(), SYSTEM, config["AUDIT_KEY_PATH"], config["WITNESS_DIR"]))


@audit.command("export")
@click.argument("process_id", type=int)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="file to write (default: stdout)"
)
def export_command(process_id: int, out: Path | None) -> None:
    """Write one process's record (JSON lines) for tools/verify_export.py."""
    config = current_app.config
    try:
        text = export(
            _uow(),
            SYSTEM,
            process_id,
            config["AUDIT_KEY_PATH"],
            config["WITNESS_DIR"],
            sign_first=True,
        )
    except DomainError as err:
        raise click.ClickException(err.message) from err
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"{out}: {text.count(chr(10))} lines", err=True)


@audit.command("replay")
@click.argument("process_id", type=int)
def replay_command(process_id: int) -> None:
    """Re-run a process from its diagram and recorded events; compare with what is stored."""
    try:
        report = replay(_uow(write=False), SYSTEM, process_id)
    except DomainError as err:
        raise click.ClickException(err.message) from err
    _echo(report)
    if not report["matches"]:
        raise SystemExit(1)


@audit.command("public-key")
def public_key_command() -> None:
    """Print the public key (PEM) that verifies checkpoints and exports, and its fingerprint."""
    key = signing_key(current_app.config["AUDIT_KEY_PATH"]).public_key()
    click.echo(public_pem(key), nl=False)
    click.echo(f"fingerprint (SHA-256 of the raw key): {fingerprint(key)}", err=True)

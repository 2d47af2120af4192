"""`flask --app service users …`: what an operator does for users from the shell, when no
administrator can (the only administrator lost their phone) or for every user at once.

Each acts as the command line's SYSTEM actor and is recorded on the directory's audit chain
("by": "command line"); each prints JSON.
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from service.db.sealed import KeyMismatch
from service.db.uow import UnitOfWork
from service.errors import NotFound
from service.operations.actors import SYSTEM
from service.operations.users import reset_second_factor, seal_second_factors


class _Users(AppGroup):
    """An AppGroup runs its commands inside the app context, also under the test CLI runner;
    a wrong APP_TOTP_KEY ends them with its fix and a non-zero status, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyMismatch as err:
            raise click.ClickException(str(err)) from err


users = _Users("users", help="Users' second factors, from the command line.")


def _uow() -> UnitOfWork:
    extensions = current_app.extensions
    return UnitOfWork(extensions["session_factory"], clock=extensions["clock"])


@users.command("reset-second-factor")
@click.argument("username")
def reset_second_factor_command(username: str) -> None:
    """Forget USERNAME's second factor and recovery codes (a lost phone): they set up a new
    one at their next login; their sessions and tokens end."""
    try:
        reset_second_factor(_uow(), SYSTEM, username)
    except NotFound as err:
        raise click.ClickException(f"no user {username!r}") from err
    click.echo(json.dumps({"second_factor_reset": username}))


@users.command("encrypt-second-factors")
def encrypt_second_factors() -> None:
    """Seal every second factor's seed under the newest key of APP_TOTP_KEY: once after the
    upgrade that began sealing them (seeds stored before stay in clear until then), and
    after putting a new key first (APP_TOTP_KEY=new,old) to retire the old one."""
    click.echo(json.dumps(seal_second_factors(_uow(), SYSTEM)))

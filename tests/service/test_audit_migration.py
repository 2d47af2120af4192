"""Migration 0002 hashes the events it finds exactly as the service would have."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from flask import Flask
from sqlalchemy import select

from service.db.migrate import alembic_config, upgrade
from service.db.models import Event, ProcessInstance
from tests.service.audit_walk import WALKED, audited


def chains(app: Flask) -> tuple[list[tuple[int, str, str]], list[tuple[int, str]]]:
    with app.extensions["session_factory"]() as session:
        events = session.execute(select(Event.id, Event.prev_hash, Event.hash).order_by(Event.id))
        heads = session.execute(
            select(ProcessInstance.id, ProcessInstance.last_event_hash).order_by(ProcessInstance.id)
        )
        return [tuple(e) for e in events], [tuple(h) for h in heads]


@WALKED  # the walked history
def test_the_migration_hashes_existing_events_as_append_event_does(
    app: Flask, tmp_path: Path, database_url: str
) -> None:
    audited(app, tmp_path)
    before = chains(app)
    app.extensions["db_engine"].dispose()
    command.downgrade(alembic_config(database_url), "0001")  # the hashes are gone
    upgrade(database_url)  # and 0002 computes them again
    assert chains(app) == before

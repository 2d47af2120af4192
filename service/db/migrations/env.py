"""Alembic environment: the URL comes from the caller's config or APP_DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from service.db import models  # noqa: F401  # registers every table on Base.metadata
from service.db.base import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or os.environ["APP_DATABASE_URL"]

engine = create_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()

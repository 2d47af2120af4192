"""lz4 compression: on PostgreSQL, the large values every completion writes (the engine's state,
the plan, its event) are compressed with lz4 instead of pglz, which cost the server about a
sixth of its time per completion (benchmarks.peer --in-process)

Revision ID: 0031_lz4_compression
Revises: 0030_directory_notices
"""

from alembic import op
from sqlalchemy import text

revision = "0031_lz4_compression"
down_revision = "0030_directory_notices"
branch_labels = None
depends_on = None

# the columns whose values pass TOAST's 2 kB threshold, written at each completion or signing
COLUMNS = {
    "process_instance": ("state", "document", "reports", "report_drafts"),
    "event": ("data",),
    "document": ("content",),
    "task_draft": ("fields",),
}


# a server built without lz4 refuses it; such a server keeps pglz
LZ4_AVAILABLE = (
    "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
)


def _set(method: str) -> None:
    for table, columns in COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {c} SET COMPRESSION {method}" for c in columns)
        op.execute(f"ALTER TABLE {table} {changes}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql" or not op.get_bind().scalar(text(LZ4_AVAILABLE)):
        return
    _set("lz4")  # new values only: rows written before keep pglz, and both read back


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _set("default")

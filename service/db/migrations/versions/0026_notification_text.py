"""notification text: a message id and its parameters, rendered in the reader's language

Revision ID: 0026_notification_text
Revises: 0025_totp_encrypted
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_notification_text"
down_revision = "0025_totp_encrypted"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: the rows sent before keep their Vietnamese text only
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("text_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("params")
        batch.drop_column("text_id")

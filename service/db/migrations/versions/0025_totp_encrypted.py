"""totp encrypted: room for a sealed TOTP seed (service.db.sealed)

Seeds stored before this stay readable; `flask users encrypt-second-factors` seals them.

Revision ID: 0025_totp_encrypted
Revises: 0024_scheduled_reorganisations
Create Date: 2026-12-02 04:10:00.000000
"""

from alembic import op
import sqlalchemy as sa


revision = "0025_totp_encrypted"
down_revision = "0024_scheduled_reorganisations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret', existing_type=sa.String(length=64), type_=sa.String(length=255)
        )


def downgrade() -> None:
    # A sealed seed does not fit the old column: run it only after clearing or unsealing them.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64)
        )

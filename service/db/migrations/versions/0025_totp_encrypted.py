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
    # The old code reads clear seeds, and a sealed one does not fit the old column: unseal them
    # first, with APP_TOTP_KEY's keys (the development key without it), as the app does.
    import os

    from service.db.sealed import is_sealed, parse_keys, unseal, use_keys

    if os.environ.get("APP_TOTP_KEY"):
        use_keys(parse_keys(os.environ["APP_TOTP_KEY"]))
    bind = op.get_bind()
    stored = bind.execute(
        sa.text("SELECT id, totp_secret FROM user_account WHERE totp_secret IS NOT NULL")
    ).all()
    for user_id, secret in stored:
        if is_sealed(secret):
            bind.execute(
                sa.text("UPDATE user_account SET totp_secret = :clear WHERE id = :id"),
                {"clear": unseal(secret), "id": user_id},
            )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column(
            'totp_secret', existing_type=sa.String(length=255), type_=sa.String(length=64)
        )

"""register keyed by the number symbol: KH-UBND and KH-BCĐ keep their own sequences

Each existing register row (agency, year, kind) becomes one row per symbol its documents
carry (its own symbol when it issued none), each keeping the row's last number: no register
goes backwards and no number is given twice. The document's unique number follows the symbol.

Revision ID: 0023_register_symbol
Revises: 0022_dated_agencies
Create Date: 2026-12-02 04:10:00.000000
"""

from typing import Any

from alembic import op
import sqlalchemy as sa


revision = "0023_register_symbol"
down_revision = "0022_dated_agencies"
branch_labels = None
depends_on = None


def _create(with_symbol: bool) -> sa.Table:
    key = ['agency_id', 'year', 'symbol' if with_symbol else 'kind']
    columns: list[sa.Column[Any]] = [
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
    ]
    if with_symbol:
        columns.append(sa.Column('symbol', sa.String(length=40), nullable=False))
    columns += [
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('last_number', sa.Integer(), nullable=False),
    ]
    return op.create_table(
        'register',
        *columns,
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_register_agency_id_agency')),
        sa.PrimaryKeyConstraint(*key, name=op.f('pk_register')),
    )


def upgrade() -> None:
    bind = op.get_bind()
    old = bind.execute(sa.text('SELECT agency_id, year, kind, last_number FROM register')).all()
    used: dict[tuple[int, int, str], set[str]] = {}
    for agency_id, year, kind, symbol in bind.execute(
        sa.text('SELECT DISTINCT agency_id, year, kind, symbol FROM document')
    ):
        used.setdefault((agency_id, year, kind), set()).add(symbol)
    abbreviations: dict[int, str | None] = dict(bind.execute(sa.text('SELECT id, abbreviation FROM agency')).all())
    op.drop_table('register')
    table = _create(with_symbol=True)
    rows = []
    for agency_id, year, kind, last_number in old:
        own = f'{kind}-{abbreviations[agency_id]}' if abbreviations.get(agency_id) else kind
        for symbol in sorted(used.get((agency_id, year, kind)) or {own}):
            rows.append(
                {'agency_id': agency_id, 'year': year, 'symbol': symbol, 'kind': kind,
                 'last_number': last_number}
            )
    if rows:
        op.bulk_insert(table, rows)
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_constraint('uq_document_agency_id_year_kind_number', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_document_agency_id_year_symbol_number'),
            ['agency_id', 'year', 'symbol', 'number'],
        )


def downgrade() -> None:
    bind = op.get_bind()
    merged = bind.execute(
        sa.text(
            'SELECT agency_id, year, kind, MAX(last_number) FROM register '
            'GROUP BY agency_id, year, kind'
        )
    ).all()
    op.drop_table('register')
    table = _create(with_symbol=False)
    rows = [
        {'agency_id': a, 'year': y, 'kind': k, 'last_number': n} for a, y, k, n in merged
    ]
    if rows:
        op.bulk_insert(table, rows)
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_constraint('uq_document_agency_id_year_symbol_number', type_='unique')
        batch_op.create_unique_constraint(
            'uq_document_agency_id_year_kind_number', ['agency_id', 'year', 'kind', 'number']
        )

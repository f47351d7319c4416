"""billing: issued invoices (number, status, due date), credit notes, dunning actions

Revision ID: 0006_billing_invoices
Revises: 0002_billing
Create Date: 2026-11-25 14:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base


revision: str = '0006_billing_invoices'
down_revision: str | None = '0002_billing'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite cannot add a unique constraint with ALTER TABLE
    with op.batch_alter_table('invoices') as batch:
        batch.add_column(
            sa.Column('status', sa.String(length=16), server_default='draft', nullable=False)
        )
        batch.add_column(sa.Column('number', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch.create_unique_constraint(op.f('uq_invoices_number'), ['number'])
    op.create_table('billing_sequences',
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', centrex.data.models.base.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_sequences')),
    sa.UniqueConstraint('kind', 'year', name=op.f('uq_billing_sequences_kind_year'))
    )
    op.create_table('credit_notes',
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('vat_rate', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('vat', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', centrex.data.models.base.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_credit_notes_invoice_id_invoices'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_credit_notes_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_notes')),
    sa.UniqueConstraint('number', name=op.f('uq_credit_notes_number'))
    )
    op.create_index(op.f('ix_credit_notes_invoice_id'), 'credit_notes', ['invoice_id'], unique=False)
    op.create_index(op.f('ix_credit_notes_tenant_id'), 'credit_notes', ['tenant_id'], unique=False)
    op.create_table('dunning_actions',
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('applied_at', centrex.data.models.base.UtcDateTime(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', centrex.data.models.base.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_dunning_actions_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dunning_actions_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_actions')),
    sa.UniqueConstraint('invoice_id', 'action', name=op.f('uq_dunning_actions_invoice_id_action'))
    )
    op.create_index(op.f('ix_dunning_actions_invoice_id'), 'dunning_actions', ['invoice_id'], unique=False)
    op.create_index(op.f('ix_dunning_actions_tenant_id'), 'dunning_actions', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dunning_actions_tenant_id'), table_name='dunning_actions')
    op.drop_index(op.f('ix_dunning_actions_invoice_id'), table_name='dunning_actions')
    op.drop_table('dunning_actions')
    op.drop_index(op.f('ix_credit_notes_tenant_id'), table_name='credit_notes')
    op.drop_index(op.f('ix_credit_notes_invoice_id'), table_name='credit_notes')
    op.drop_table('credit_notes')
    op.drop_table('billing_sequences')
    with op.batch_alter_table('invoices') as batch:
        batch.drop_constraint(op.f('uq_invoices_number'), type_='unique')
        batch.drop_column('due_on')
        batch.drop_column('number')
        batch.drop_column('status')

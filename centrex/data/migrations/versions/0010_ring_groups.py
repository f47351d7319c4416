"""ring groups: a tenant's group numbers, their strategy, ring time, fallback and members

A branch of its own off 0009 (issue 12 features each add a sibling branch; `centrex db
upgrade` applies every head).

Revision ID: 0010_ring_groups
Revises: 0009_digest_policy
Create Date: 2026-12-02 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base


revision: str = '0010_ring_groups'
down_revision: str | None = '0009_digest_policy'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ring_groups',
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('strategy', sa.Enum('simultaneous', 'sequential', 'round-robin', 'longest-idle', name='ring_strategy', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('ring_seconds', sa.Integer(), nullable=False),
    sa.Column('fallback', sa.String(length=100), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', centrex.data.models.base.UtcDateTime(), nullable=False),
    sa.CheckConstraint('ring_seconds > 0', name=op.f('ck_ring_groups_ring_seconds_positive')),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_ring_groups_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ring_groups')),
    sa.UniqueConstraint('tenant_id', 'number', name=op.f('uq_ring_groups_tenant_id_number'))
    )
    op.create_index(op.f('ix_ring_groups_tenant_id'), 'ring_groups', ['tenant_id'], unique=False)
    op.create_table('ring_group_members',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', centrex.data.models.base.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['ring_groups.id'], name=op.f('fk_ring_group_members_group_id_ring_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_ring_group_members_tenant_id_tenants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ring_group_members')),
    sa.UniqueConstraint('group_id', 'position', name=op.f('uq_ring_group_members_group_id_position'))
    )
    op.create_index(op.f('ix_ring_group_members_group_id'), 'ring_group_members', ['group_id'], unique=False)
    op.create_index(op.f('ix_ring_group_members_tenant_id'), 'ring_group_members', ['tenant_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_ring_group_members_tenant_id'), table_name='ring_group_members')
    op.drop_index(op.f('ix_ring_group_members_group_id'), table_name='ring_group_members')
    op.drop_table('ring_group_members')
    op.drop_index(op.f('ix_ring_groups_tenant_id'), table_name='ring_groups')
    op.drop_table('ring_groups')

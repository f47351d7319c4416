"""digest policy: which digest algorithms a tenant's (or one device's) challenges offer

Tenants get `compatible` (MD5 first, then SHA-256: phones that answer only the first challenge
and know only MD5 work out of the box); `prefer-sha256` puts SHA-256 first, `require-sha256`
offers SHA-256 only. An extension may override it (NULL: the tenant's policy applies).

Revision ID: 0009_digest_policy
Revises: 0008_recording_notice
Create Date: 2026-12-02 07:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009_digest_policy'
down_revision: str | None = '0008_recording_notice'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLICIES = "('compatible', 'prefer-sha256', 'require-sha256')"


def _column(table: str, enum: str, default: str | None) -> sa.Column[str]:
    # Inline CHECK in ADD COLUMN, no batch mode for tenants (see 0007); the constraint name is
    # the one the models' naming convention gives their enum (ck_<table>_<enum name>).
    return sa.Column(
        'digest_policy',
        sa.String(length=32),
        sa.CheckConstraint(f'digest_policy IN {POLICIES}', name=op.f(f'ck_{table}_{enum}')),
        server_default=default,
        nullable=default is None,
    )


def upgrade() -> None:
    op.add_column('tenants', _column('tenants', 'tenant_digest_policy', 'compatible'))
    op.add_column('extensions', _column('extensions', 'extension_digest_policy', None))


def downgrade() -> None:
    # SQLite 3.35+ drops a column whose CHECK mentions only that column.
    for table in ('extensions', 'tenants'):
        op.drop_column(table, 'digest_policy')

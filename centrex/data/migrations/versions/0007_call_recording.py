"""call recording settings: record calls never/always/on demand, mixed or per party

Tenants get the default (never, mixed); an extension may override either (NULL: the tenant's
setting applies). A branch of its own off the foundation, like the other domains (see
`Database.upgrade`), since it only touches the foundation's tenants and extensions tables.

Revision ID: 0007_call_recording
Revises: 0001_foundation
Create Date: 2026-11-26 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007_call_recording'
down_revision: str | None = '0001_foundation'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODES = "('never', 'always', 'on-demand')"
LAYOUTS = "('mixed', 'per-party')"


def _column(
    table: str, name: str, enum: str, values: str, default: str | None
) -> sa.Column[str]:
    # The CHECK goes inline in ADD COLUMN: both SQLite and PostgreSQL take it there, and batch
    # mode (copy and move) is no option for tenants: with foreign keys on, SQLite's DROP TABLE
    # of the old copy would cascade to every tenant-owned row. The name is the one the models'
    # naming convention gives their enum (ck_<table>_<enum name>).
    return sa.Column(
        name,
        sa.String(length=32),
        sa.CheckConstraint(f'{name} IN {values}', name=op.f(f'ck_{table}_{enum}')),
        server_default=default,
        nullable=default is None,
    )


def upgrade() -> None:
    op.add_column('tenants', _column('tenants', 'record_calls', 'tenant_record_calls', MODES, 'never'))
    op.add_column('tenants', _column('tenants', 'record_layout', 'tenant_record_layout', LAYOUTS, 'mixed'))
    op.add_column('extensions', _column('extensions', 'record_calls', 'extension_record_calls', MODES, None))
    op.add_column('extensions', _column('extensions', 'record_layout', 'extension_record_layout', LAYOUTS, None))


def downgrade() -> None:
    # SQLite 3.35+ drops a column whose CHECK mentions only that column.
    for table in ('extensions', 'tenants'):
        op.drop_column(table, 'record_layout')
        op.drop_column(table, 'record_calls')

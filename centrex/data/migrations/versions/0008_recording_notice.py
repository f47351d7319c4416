"""call recording notice: a tenant may have both parties told that the call is recorded

Where the law requires it, a tenant switches `record_announce` on: when a recording starts, both
parties hear the catalog prompt "common.recording_notice" in the tenant's language.

Revision ID: 0008_recording_notice
Revises: 0007_call_recording
Create Date: 2026-12-01 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008_recording_notice'
down_revision: str | None = '0007_call_recording'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No batch mode for tenants (see 0007): a plain ADD COLUMN with a server default.
    op.add_column(
        'tenants',
        sa.Column('record_announce', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column('tenants', 'record_announce')

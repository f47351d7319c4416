"""CDRs rated at hang-up (issue 20): `cdrs.rated_at`, the durable queue of the live rater

A finished CDR with `rated_at` NULL is waiting to be rated; the running server rates it within
seconds and sets `rated_at` (price and cost stay NULL when no deck prices the call), so a restart
leaves nothing unrated: the queue is the table. CDRs rated before this revision (a price already
stored) count as rated at their end. A nullable column and an index, added in place (no table
copy: `cdr_legs` refers to nothing here, but `cdrs` is large).

Revision ID: 0039_cdr_rated_at
Revises: 0032_number_queue
Create Date: 2026-12-07 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039_cdr_rated_at"
down_revision: str | None = "0032_number_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_cdrs_rated_at"


def upgrade() -> None:
    op.add_column("cdrs", sa.Column("rated_at", sa.DateTime(timezone=False), nullable=True))
    op.execute("UPDATE cdrs SET rated_at = ended_at WHERE price IS NOT NULL")
    op.create_index(INDEX, "cdrs", ["rated_at"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="cdrs")
    op.drop_column("cdrs", "rated_at")

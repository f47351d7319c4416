"""pickup groups per extension (issue 12, item 4: call pickup and park)

`extensions.pickup_group` names the extension's pickup group (NULL: none), a free label of
the tenant (`*8` picks up calls ringing the other extensions with the same label in the same
tenant). Park needs no table: its slots are live state.

Revision ID: 0013_pickup_park
Revises: 0009_digest_policy
Create Date: 2026-12-02 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_pickup_park"
down_revision: str | None = "0009_digest_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("extensions", sa.Column("pickup_group", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("extensions", "pickup_group")

"""call park per tenant and DIDs ringing a ring group (issue 12, items 3 and 4)

`tenants.park_number`, `park_slots` ("701-709") and `park_timeout` (seconds) set the tenant's
park number, its slots and how long a parked call waits before ringing its parker back (NULL:
the platform's 700, 701-709, 60 s). `numbers.ring_group_id` points a DID at one of the
tenant's ring groups instead of an extension.

Revision ID: 0017_park_and_group_dids
Revises: 0010_ring_groups
Create Date: 2026-12-02 21:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_park_and_group_dids"
down_revision: str | None = "0010_ring_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain columns: ALTER TABLE on both databases (a batch rebuild of `tenants` on SQLite
    # would turn its enum CHECKs into table constraints that later downgrades cannot drop)
    op.add_column("tenants", sa.Column("park_number", sa.String(length=10), nullable=True))
    op.add_column("tenants", sa.Column("park_slots", sa.String(length=21), nullable=True))
    op.add_column("tenants", sa.Column("park_timeout", sa.Integer(), nullable=True))
    with op.batch_alter_table("numbers") as batch:
        batch.add_column(sa.Column("ring_group_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_numbers_ring_group_id_ring_groups"), "ring_groups", ["ring_group_id"],
            ["id"], ondelete="SET NULL",
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("numbers") as batch:
        batch.drop_constraint(op.f("fk_numbers_ring_group_id_ring_groups"), type_="foreignkey")
        batch.drop_column("ring_group_id")
    for column in ("park_timeout", "park_slots", "park_number"):
        op.drop_column("tenants", column)

"""a DID routed straight to an ACD queue (issue 21: a number goes to an extension, a flow, a
ring group, a queue or a conference room)

`numbers.queue_id`, beside `ring_group_id` and `conference_id`: callers of the DID wait in the
queue as if they had dialled its number. A nullable column with a foreign key that goes NULL
when the queue is deleted; added with `op.add_column` (no table rebuild: `numbers` is referenced
by flow bindings). The downgrade drops it.

Revision ID: 0032_number_queue
Revises: 0031_campaign_agent_groups
Create Date: 2026-12-07 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032_number_queue"
down_revision: str | None = "0031_campaign_agent_groups"
branch_labels: str | Sequence[str] | None = None
# After the table copies that added ring_group_id and conference_id on SQLite (a copy made after
# this column would rebuild its foreign key without ON DELETE), and after the queues table.
depends_on: str | Sequence[str] | None = (
    "0017_park_and_group_dids",
    "0019_conferences",
    "0020_queues",
)

FK = "fk_numbers_queue_id_queues"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its foreign key in place (ALTER TABLE cannot add one later)
        op.execute(
            f"ALTER TABLE numbers ADD COLUMN queue_id INTEGER CONSTRAINT {FK} "
            "REFERENCES queues (id) ON DELETE SET NULL"
        )
        return
    op.add_column("numbers", sa.Column("queue_id", sa.Integer(), nullable=True))
    op.create_foreign_key(FK, "numbers", "queues", ["queue_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK, "numbers", type_="foreignkey")
    op.drop_column("numbers", "queue_id")  # SQLite >= 3.35: in place, no table copy

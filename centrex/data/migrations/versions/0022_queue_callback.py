"""queue callback: "press 1 to be called back, you keep your place in the queue"

Issue 13 item 4. `queues.callback` (off), `callback_attempts` (3) and
`callback_retry_seconds` (30); `queue_calls.callback` (null, `requested`, `answered`,
`failed`) and `callback_number` (the number the caller is called back on). A branch of its own
off 0020 (`centrex db upgrade` applies every head). Plain `add_column`/`drop_column`, no batch
copy: `queue_members` has a foreign key to `queues`, and a batch copy of a referenced table on
SQLite with foreign keys on could cascade.

Revision ID: 0022_queue_callback
Revises: 0020_queues
Create Date: 2026-12-03 14:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_queue_callback"
down_revision: str | None = "0020_queues"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_COLUMNS = ("callback", "callback_attempts", "callback_retry_seconds")
CALL_COLUMNS = ("callback", "callback_number")


def upgrade() -> None:
    op.add_column(
        "queues", sa.Column("callback", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "queues",
        sa.Column("callback_attempts", sa.Integer(), server_default="3", nullable=False),
    )
    op.add_column(
        "queues",
        sa.Column("callback_retry_seconds", sa.Integer(), server_default="30", nullable=False),
    )
    op.add_column("queue_calls", sa.Column("callback", sa.String(length=16), nullable=True))
    op.add_column("queue_calls", sa.Column("callback_number", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # SQLite >= 3.35 drops a plain column in place (no table copy)
    for name in CALL_COLUMNS:
        op.drop_column("queue_calls", name)
    for name in QUEUE_COLUMNS:
        op.drop_column("queues", name)

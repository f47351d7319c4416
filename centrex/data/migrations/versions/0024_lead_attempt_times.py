"""lead attempts: ring and wrap-up seconds (the dialer's pacing history)

Issue 15 item 3. The dialer writes every attempt with the seconds it rang and, once an agent
talked to the lead, the seconds the agent spent in wrap-up afterwards: `campaign simulate` and
the occupancy figure of `campaign stats` replay these. Plain columns with a server default, so
rows written before this revision read 0 and the downgrade drops them in place.

Revision ID: 0024_lead_attempt_times
Revises: 0023_contact_center
Create Date: 2026-12-03 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_lead_attempt_times"
down_revision: str | None = "0023_contact_center"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("ring_seconds", "wrap_seconds")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column(
            "lead_attempts",
            sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text("0")),
        )


def downgrade() -> None:
    # SQLite >= 3.35 drops a plain column in place (no table copy)
    for name in reversed(COLUMNS):
        op.drop_column("lead_attempts", name)

"""campaign agent time: agent-seconds logged in and busy per campaign and UTC day

Issue 15 item 8: `campaign stats` gives `occupancy_pct`, the share of the campaign's agents'
logged-in time spent talking to leads or wrapping up. The dialer knows both every tick (the
pacer's snapshot) and adds them here (`contact_center/occupancy.py`); one row per campaign and
day keeps the table small and the 30-day figure a sum over at most 30 rows. A new table only:
the downgrade drops it.

Revision ID: 0030_campaign_agent_time
Revises: 0025_campaign_callbacks
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0030_campaign_agent_time"
down_revision: str | None = "0025_campaign_callbacks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

T = "campaign_agent_time"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("logged_in_seconds", sa.Float(), nullable=False),
        sa.Column("busy_seconds", sa.Float(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_agent_time_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_campaign_agent_time_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_agent_time")),
        sa.UniqueConstraint(
            "campaign_id", "day", name=op.f("uq_campaign_agent_time_campaign_id_day")
        ),
    )
    op.create_index(op.f(f"ix_{T}_tenant_id"), T, ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{T}_tenant_id"), table_name=T)
    op.drop_table(T)

"""campaign agent groups: ACD queues assigned to a campaign, whose members are its agents

Issue 15 item 1: "agents and agent groups assigned". A group is one of the tenant's queues;
its members are resolved live by the dialer (`contact_center/campaign_agents.py`), so only the
link is stored. Deleting the campaign or the queue removes the link (ON DELETE CASCADE on
both). The queues table comes from another branch (0020_queues): `depends_on` makes sure it
exists first. A new table only: the downgrade drops it.

Revision ID: 0031_campaign_agent_groups
Revises: 0030_campaign_agent_time
Create Date: 2026-12-07 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0031_campaign_agent_groups"
down_revision: str | None = "0030_campaign_agent_time"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0020_queues"

T = "campaign_agent_groups"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f(f"fk_{T}_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["queue_id"],
            ["queues.id"],
            name=op.f(f"fk_{T}_queue_id_queues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{T}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{T}")),
        sa.UniqueConstraint("campaign_id", "queue_id", name=op.f(f"uq_{T}_campaign_id_queue_id")),
    )
    op.create_index(op.f(f"ix_{T}_queue_id"), T, ["queue_id"], unique=False)
    op.create_index(op.f(f"ix_{T}_tenant_id"), T, ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{T}_tenant_id"), table_name=T)
    op.drop_index(op.f(f"ix_{T}_queue_id"), table_name=T)
    op.drop_table(T)

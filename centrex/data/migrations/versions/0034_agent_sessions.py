"""agent_sessions: the agent desktop's session per extension (issue 16)

Campaigns worked, phone choice, desktop state with its reason and start, the current (or last)
call's lead, call id and campaign, and whether a disposition is owed. A new table only: the
downgrade drops it.

Revision ID: 0034_agent_sessions
Revises: 0032_number_queue
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0034_agent_sessions"
down_revision: str | None = "0032_number_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

T = "agent_sessions"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column("campaigns", sa.JSON(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("since", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("wrap_required", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_agent_sessions_campaign_id_campaigns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f("fk_agent_sessions_extension_id_extensions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_agent_sessions_lead_id_leads"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_agent_sessions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_sessions")),
        sa.UniqueConstraint("extension_id", name=op.f("uq_agent_sessions_extension_id")),
    )
    op.create_index(op.f(f"ix_{T}_tenant_id"), T, ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{T}_tenant_id"), table_name=T)
    op.drop_table(T)

"""agent state log: one row per interval an agent spent in one desktop state

Issue 16: the statistics per agent and campaign (talk, wrap-up, ringing, pause per reason,
idle, occupancy) over any period need the history of the agents' states, which `agent_states`
(the current ACD mode only) does not keep. A new table only: the downgrade drops it.

Revision ID: 0037_agent_state_log
Revises: 0032_number_queue
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0037_agent_state_log"
down_revision: str | None = "0032_number_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

T = "agent_state_log"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("started_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("ended_at", centrex.data.models.base.UtcDateTime(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_agent_state_log_campaign_id_campaigns"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f("fk_agent_state_log_extension_id_extensions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_agent_state_log_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_log")),
    )
    op.create_index(op.f(f"ix_{T}_tenant_id"), T, ["tenant_id"], unique=False)
    op.create_index("ix_agent_state_log_extension_started", T, ["extension_id", "started_at"],
                    unique=False)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_agent_state_log_extension_started", table_name=T)
    op.drop_index(op.f(f"ix_{T}_tenant_id"), table_name=T)
    op.drop_table(T)

"""campaign callbacks: scheduled callbacks of outbound campaigns (issue 15 item 5)

A callback is promised to a lead at a wall-clock time of the lead's zone; the row keeps the
UTC instant (`due_at`, what the dialer's "due now" index reads), the zone and the local time as
typed, whether it is personal (`extension_id`) or campaign-wide (NULL), its status and the
calls placed for it. A new table only: the downgrade drops it.

Revision ID: 0025_campaign_callbacks
Revises: 0024_lead_attempt_times
Create Date: 2026-12-03 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0025_campaign_callbacks"
down_revision: str | None = "0024_lead_attempt_times"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

T = "campaign_callbacks"


def upgrade() -> None:
    op.create_table(
        T,
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=True),
        sa.Column("due_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("local_time", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "placed",
                "done",
                "missed",
                "cancelled",
                name="callback_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_callbacks_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_campaign_callbacks_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f("fk_campaign_callbacks_extension_id_extensions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_campaign_callbacks_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_callbacks")),
    )
    for column in ("campaign_id", "lead_id", "extension_id", "tenant_id"):
        op.create_index(op.f(f"ix_{T}_{column}"), T, [column], unique=False)
    op.create_index("ix_campaign_callbacks_due", T, ["tenant_id", "status", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_campaign_callbacks_due", table_name=T)
    for column in ("tenant_id", "extension_id", "lead_id", "campaign_id"):
        op.drop_index(op.f(f"ix_{T}_{column}"), table_name=T)
    op.drop_table(T)

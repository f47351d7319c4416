"""contact center, outbound: campaigns, their agents, lead batches, leads, attempts, DNC

Issue 15 items 1-2 (`centrex/data/models/contact_center.py`). New tables only, so nothing
touches `tenants` or `extensions` (no batch mode: see 0021's downgrade). A branch of its own off
0018 (`centrex db upgrade` applies every head).

Revision ID: 0023_contact_center
Revises: 0018_caller_id_rules
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0023_contact_center"
down_revision: str | None = "0018_caller_id_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "dial_method",
            sa.Enum(
                "preview",
                "progressive",
                "ratio",
                "predictive",
                name="campaign_dial_method",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("drop_target", sa.Float(), nullable=False),
        sa.Column("caller_id", sa.String(length=20), nullable=False),
        sa.Column("calling_window", sa.String(length=11), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("retry_delays", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "running",
                "paused",
                "stopped",
                name="campaign_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("postal_focus", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "drop_target > 0 AND drop_target < 1", name=op.f("ck_campaigns_drop_target_share")
        ),
        sa.CheckConstraint("max_attempts >= 1", name=op.f("ck_campaigns_max_attempts_positive")),
        sa.CheckConstraint("ratio >= 1", name=op.f("ck_campaigns_ratio_at_least_one")),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_campaigns_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_campaigns_tenant_id_name")),
    )
    op.create_index(op.f("ix_campaigns_tenant_id"), "campaigns", ["tenant_id"], unique=False)
    op.create_table(
        "dnc_entries",
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_dnc_entries_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_dnc_entries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dnc_entries")),
    )
    op.create_index(
        op.f("ix_dnc_entries_campaign_id"), "dnc_entries", ["campaign_id"], unique=False
    )
    op.create_index(op.f("ix_dnc_entries_tenant_id"), "dnc_entries", ["tenant_id"], unique=False)
    op.create_index(
        "ix_dnc_entries_tenant_number", "dnc_entries", ["tenant_id", "number"], unique=False
    )
    op.create_table(
        "lead_batches",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=True),
        sa.Column("imported", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("dnc_filtered", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_lead_batches_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_lead_batches_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_batches")),
    )
    op.create_index(
        op.f("ix_lead_batches_campaign_id"), "lead_batches", ["campaign_id"], unique=False
    )
    op.create_index(op.f("ix_lead_batches_tenant_id"), "lead_batches", ["tenant_id"], unique=False)
    op.create_table(
        "campaign_agents",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_agents_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f("fk_campaign_agents_extension_id_extensions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_campaign_agents_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_agents")),
        sa.UniqueConstraint(
            "campaign_id", "extension_id", name=op.f("uq_campaign_agents_campaign_id_extension_id")
        ),
    )
    op.create_index(
        op.f("ix_campaign_agents_extension_id"), "campaign_agents", ["extension_id"], unique=False
    )
    op.create_index(
        op.f("ix_campaign_agents_tenant_id"), "campaign_agents", ["tenant_id"], unique=False
    )
    op.create_table(
        "leads",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=20), nullable=False),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "retry",
                "in-call",
                "done",
                "exhausted",
                "dnc",
                name="lead_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_outcome", sa.String(length=32), nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("next_attempt_at", centrex.data.models.base.UtcDateTime(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["lead_batches.id"],
            name=op.f("fk_leads_batch_id_lead_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_leads_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_leads_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leads")),
        sa.UniqueConstraint("campaign_id", "number", name=op.f("uq_leads_campaign_id_number")),
    )
    op.create_index(op.f("ix_leads_batch_id"), "leads", ["batch_id"], unique=False)
    op.create_index(
        "ix_leads_campaign_status_next",
        "leads",
        ["campaign_id", "status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(op.f("ix_leads_tenant_id"), "leads", ["tenant_id"], unique=False)
    op.create_table(
        "lead_attempts",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("started_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("ended_at", centrex.data.models.base.UtcDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("extension_id", sa.Integer(), nullable=True),
        sa.Column("caller_id", sa.String(length=20), nullable=True),
        sa.Column("call_id", sa.String(length=200), nullable=True),
        sa.Column("talk_seconds", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_lead_attempts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f("fk_lead_attempts_extension_id_extensions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            ["leads.id"],
            name=op.f("fk_lead_attempts_lead_id_leads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_lead_attempts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_attempts")),
    )
    op.create_index(
        op.f("ix_lead_attempts_campaign_id"), "lead_attempts", ["campaign_id"], unique=False
    )
    op.create_index(op.f("ix_lead_attempts_lead_id"), "lead_attempts", ["lead_id"], unique=False)
    op.create_index(
        op.f("ix_lead_attempts_tenant_id"), "lead_attempts", ["tenant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lead_attempts_tenant_id"), table_name="lead_attempts")
    op.drop_index(op.f("ix_lead_attempts_lead_id"), table_name="lead_attempts")
    op.drop_index(op.f("ix_lead_attempts_campaign_id"), table_name="lead_attempts")
    op.drop_table("lead_attempts")
    op.drop_index(op.f("ix_leads_tenant_id"), table_name="leads")
    op.drop_index("ix_leads_campaign_status_next", table_name="leads")
    op.drop_index(op.f("ix_leads_batch_id"), table_name="leads")
    op.drop_table("leads")
    op.drop_index(op.f("ix_campaign_agents_tenant_id"), table_name="campaign_agents")
    op.drop_index(op.f("ix_campaign_agents_extension_id"), table_name="campaign_agents")
    op.drop_table("campaign_agents")
    op.drop_index(op.f("ix_lead_batches_tenant_id"), table_name="lead_batches")
    op.drop_index(op.f("ix_lead_batches_campaign_id"), table_name="lead_batches")
    op.drop_table("lead_batches")
    op.drop_index("ix_dnc_entries_tenant_number", table_name="dnc_entries")
    op.drop_index(op.f("ix_dnc_entries_tenant_id"), table_name="dnc_entries")
    op.drop_index(op.f("ix_dnc_entries_campaign_id"), table_name="dnc_entries")
    op.drop_table("dnc_entries")
    op.drop_index(op.f("ix_campaigns_tenant_id"), table_name="campaigns")
    op.drop_table("campaigns")

"""call scripts: scripts, the script of each campaign, the answers given for each lead (issue 16)

`scripts` holds a tenant's scripts (name unique per tenant, the JSON definition that
`contact_center/script_rules.py` validates); `campaign_scripts` says which script a campaign's
agents read (one per campaign; a table of its own, so `campaigns` is not rebuilt);
`lead_answers` keeps one answer per lead and question id (answering again replaces it). Deleting a
campaign, a script or a lead removes its links and answers (ON DELETE CASCADE); deleting an
extension keeps its answers without the extension (SET NULL). New tables only: the downgrade
drops them.

Revision ID: 0033_scripts
Revises: 0032_number_queue
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0033_scripts"
down_revision: str | None = "0032_number_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned(table: str) -> list[Any]:
    """The columns and constraints every tenant-owned table has (TenantOwned)."""
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        "scripts",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("updated_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        *_owned("scripts"),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_scripts_tenant_id_name")),
    )
    op.create_index(op.f("ix_scripts_tenant_id"), "scripts", ["tenant_id"], unique=False)
    t = "campaign_scripts"
    op.create_table(
        t,
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("script_id", sa.Integer(), nullable=False),
        *_owned(t),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f(f"fk_{t}_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["script_id"],
            ["scripts.id"],
            name=op.f(f"fk_{t}_script_id_scripts"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("campaign_id", name=op.f(f"uq_{t}_campaign_id")),
    )
    op.create_index(op.f(f"ix_{t}_script_id"), t, ["script_id"], unique=False)
    op.create_index(op.f(f"ix_{t}_tenant_id"), t, ["tenant_id"], unique=False)
    t = "lead_answers"
    op.create_table(
        t,
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        *_owned(t),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f(f"fk_{t}_lead_id_leads"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f(f"fk_{t}_extension_id_extensions"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("lead_id", "question", name=op.f(f"uq_{t}_lead_id_question")),
    )
    op.create_index(op.f(f"ix_{t}_tenant_id"), t, ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_lead_answers_tenant_id"), table_name="lead_answers")
    op.drop_table("lead_answers")
    op.drop_index(op.f("ix_campaign_scripts_tenant_id"), table_name="campaign_scripts")
    op.drop_index(op.f("ix_campaign_scripts_script_id"), table_name="campaign_scripts")
    op.drop_table("campaign_scripts")
    op.drop_index(op.f("ix_scripts_tenant_id"), table_name="scripts")
    op.drop_table("scripts")

"""mail templates: e-mails to leads, a campaign's sender, Word letter templates (issue 16)

Three new tables, all tenant-owned: `mail_templates` (subject and body with the lead's merge
fields, for one campaign or, `campaign_id` NULL, every campaign), `campaign_mail_settings` (the
campaign's sender address, one row per campaign) and `document_templates` (an uploaded .docx
kept as a file under the data directory, with the fields it uses). Deleting a campaign deletes
its templates and its sender (ON DELETE CASCADE). New tables only: the downgrade drops them
(the .docx files stay on disk, as media files do when a table is dropped by hand).

Revision ID: 0036_mail_templates
Revises: 0032_number_queue
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0036_mail_templates"
down_revision: str | None = "0032_number_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("mail_templates", "campaign_mail_settings", "document_templates")


def _owned(table: str) -> list[Any]:
    """The columns and constraints of `TenantOwned` plus the campaign reference."""
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f(f"fk_{table}_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f(f"fk_{table}_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    t = "mail_templates"
    op.create_table(
        t,
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        *_owned(t),
        sa.UniqueConstraint("tenant_id", "name", name=op.f(f"uq_{t}_tenant_id_name")),
    )
    op.create_index(op.f(f"ix_{t}_campaign_id"), t, ["campaign_id"], unique=False)
    op.create_index(op.f(f"ix_{t}_tenant_id"), t, ["tenant_id"], unique=False)

    t = "campaign_mail_settings"
    op.create_table(
        t,
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("sender_address", sa.String(length=254), nullable=False),
        sa.Column("sender_name", sa.String(length=100), nullable=False),
        *_owned(t),
        sa.UniqueConstraint("campaign_id", name=op.f(f"uq_{t}_campaign_id")),
    )
    op.create_index(op.f(f"ix_{t}_tenant_id"), t, ["tenant_id"], unique=False)

    t = "document_templates"
    op.create_table(
        t,
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        *_owned(t),
        sa.UniqueConstraint("tenant_id", "name", name=op.f(f"uq_{t}_tenant_id_name")),
    )
    op.create_index(op.f(f"ix_{t}_campaign_id"), t, ["campaign_id"], unique=False)
    op.create_index(op.f(f"ix_{t}_tenant_id"), t, ["tenant_id"], unique=False)


def downgrade() -> None:
    for t in reversed(TABLES):
        if t != "campaign_mail_settings":
            op.drop_index(op.f(f"ix_{t}_campaign_id"), table_name=t)
        op.drop_index(op.f(f"ix_{t}_tenant_id"), table_name=t)
        op.drop_table(t)

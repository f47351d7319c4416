"""appointments: agents' appointments and the campaigns' CalDAV calendars (issue 16)

`appointments`: campaign, lead and extension (both optional), title, notes, start and end, the
iCalendar UID (unique per campaign), the server's ETag, the sync state with its last error,
whether it came from the server, a local-deletion tombstone. `campaign_calendars`: one CalDAV
calendar per campaign (URL, user, encrypted secret, last sync and error, the sync lease). New
tables only: the downgrade drops them.

Revision ID: 0035_appointments
Revises: 0032_number_queue
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0035_appointments"
down_revision: str | None = "0032_number_queue"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

A = "appointments"
C = "campaign_calendars"


def _owned(table: str) -> list[Any]:
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
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f(f"fk_{table}_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    op.create_table(
        A,
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("extension_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("starts_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("ends_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("uid", sa.String(length=1000), nullable=False),
        sa.Column("etag", sa.Text(), nullable=False),
        sa.Column("sync_state", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("remote", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        *_owned(A),
        sa.ForeignKeyConstraint(
            ["lead_id"], ["leads.id"], name=op.f(f"fk_{A}_lead_id_leads"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f(f"fk_{A}_extension_id_extensions"),
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("campaign_id", "uid", name=op.f(f"uq_{A}_campaign_id_uid")),
    )
    op.create_index(op.f(f"ix_{A}_tenant_id"), A, ["tenant_id"], unique=False)
    op.create_index(op.f(f"ix_{A}_lead_id"), A, ["lead_id"], unique=False)
    op.create_index(op.f(f"ix_{A}_extension_id"), A, ["extension_id"], unique=False)
    op.create_index("ix_appointments_when", A, ["tenant_id", "campaign_id", "starts_at"])
    op.create_table(
        C,
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("last_sync_at", centrex.data.models.base.UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("lease_until", centrex.data.models.base.UtcDateTime(), nullable=True),
        *_owned(C),
        sa.UniqueConstraint("campaign_id", name=op.f(f"uq_{C}_campaign_id")),
    )
    op.create_index(op.f(f"ix_{C}_tenant_id"), C, ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{C}_tenant_id"), table_name=C)
    op.drop_table(C)
    op.drop_index("ix_appointments_when", table_name=A)
    op.drop_index(op.f(f"ix_{A}_extension_id"), table_name=A)
    op.drop_index(op.f(f"ix_{A}_lead_id"), table_name=A)
    op.drop_index(op.f(f"ix_{A}_tenant_id"), table_name=A)
    op.drop_table(A)

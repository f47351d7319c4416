"""call screening: block/allow lists, outbound barring class and premium per extension

Issue 12 item 5. `screening_entries` holds each tenant's blocklist and allowlist entries
(direction, pattern, action, optional extension); extensions get `outbound_class` (every
existing extension stays `all`: nothing barred, as before) and `premium` (off). A branch of its
own off 0009 (issue 12 features each add a sibling branch; `centrex db upgrade` applies every
head).

Revision ID: 0014_call_screening
Revises: 0009_digest_policy
Create Date: 2026-12-02 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0014_call_screening"
down_revision: str | None = "0009_digest_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screening_entries",
        sa.Column("list_kind", sa.String(length=8), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("pattern", sa.String(length=24), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("extension_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "list_kind IN ('block', 'allow')", name=op.f("ck_screening_entries_list_kind")
        ),
        sa.CheckConstraint(
            "direction IN ('inbound', 'outbound')", name=op.f("ck_screening_entries_direction")
        ),
        sa.CheckConstraint(
            "action IN ('reject', 'voicemail')", name=op.f("ck_screening_entries_action")
        ),
        sa.ForeignKeyConstraint(
            ["extension_id"],
            ["extensions.id"],
            name=op.f("fk_screening_entries_extension_id_extensions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_screening_entries_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_entries")),
    )
    op.create_index(
        op.f("ix_screening_entries_tenant_id"), "screening_entries", ["tenant_id"], unique=False
    )
    op.create_index(
        op.f("ix_screening_entries_extension_id"),
        "screening_entries",
        ["extension_id"],
        unique=False,
    )
    op.add_column(
        "extensions",
        sa.Column("outbound_class", sa.String(length=16), server_default="all", nullable=False),
    )
    op.add_column(
        "extensions",
        sa.Column("premium", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("extensions", "premium")
    op.drop_column("extensions", "outbound_class")
    op.drop_index(op.f("ix_screening_entries_extension_id"), table_name="screening_entries")
    op.drop_index(op.f("ix_screening_entries_tenant_id"), table_name="screening_entries")
    op.drop_table("screening_entries")

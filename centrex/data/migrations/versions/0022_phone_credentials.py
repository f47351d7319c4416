"""phone credentials: short-lived SIP secrets (HA1 only) for the browser softphone (issue 14)

A branch of its own off 0018 (issue 13/14 features each add a sibling branch; `centrex db
upgrade` applies every head). Only a new table: tenants and extensions are not altered.

Revision ID: 0022_phone_credentials
Revises: 0018_caller_id_rules
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0022_phone_credentials"
down_revision: str | None = "0018_caller_id_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "phone_credentials"


def upgrade() -> None:
    op.create_table(
        NAME,
        sa.Column("extension_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ha1_md5", sa.String(length=32), nullable=False),
        sa.Column("ha1_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["extension_id"], ["extensions.id"],
                                name=op.f(f"fk_{NAME}_extension_id_extensions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f(f"fk_{NAME}_tenant_id_tenants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f(f"fk_{NAME}_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{NAME}")),
    )  # fmt: skip
    op.create_index(op.f(f"ix_{NAME}_tenant_id"), NAME, ["tenant_id"], unique=False)
    op.create_index(op.f(f"ix_{NAME}_user_id"), NAME, ["user_id"], unique=False)
    op.create_index(
        "ix_phone_credentials_extension_expiry", NAME, ["extension_id", "expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_phone_credentials_extension_expiry", table_name=NAME)
    op.drop_index(op.f(f"ix_{NAME}_user_id"), table_name=NAME)
    op.drop_index(op.f(f"ix_{NAME}_tenant_id"), table_name=NAME)
    op.drop_table(NAME)

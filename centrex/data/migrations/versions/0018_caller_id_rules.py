"""caller ID per outbound route: the number a tenant presents for calls to a prefix (issue 12
item 6)

`caller_id_rules` (tenant, E.164 prefix without '+', '' = every call, number): the longest
prefix matching the dialled number names the caller ID sent to the carrier, before the
extension's own choice and the tenant's main number.

Revision ID: 0018_caller_id_rules
Revises: 0015_feature_codes
Create Date: 2026-12-02 21:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0018_caller_id_rules"
down_revision: str | None = "0015_feature_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "caller_id_rules"


def upgrade() -> None:
    op.create_table(
        NAME,
        sa.Column("prefix", sa.String(length=15), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f(f"fk_{NAME}_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{NAME}")),
        sa.UniqueConstraint("tenant_id", "prefix", name=op.f(f"uq_{NAME}_tenant_id_prefix")),
    )  # fmt: skip
    op.create_index(op.f(f"ix_{NAME}_tenant_id"), NAME, ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(f"ix_{NAME}_tenant_id"), table_name=NAME)
    op.drop_table(NAME)

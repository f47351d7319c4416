"""feature codes and short numbers: a tenant's own star codes and tenant-wide speed dials

A branch of its own off 0009 (issue 12 features each add a sibling branch; `centrex db
upgrade` applies every head).

Revision ID: 0015_feature_codes
Revises: 0009_digest_policy
Create Date: 2026-12-02 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0015_feature_codes"
down_revision: str | None = "0009_digest_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned(name: str, *columns: sa.Column, unique: tuple[tuple[str, ...], ...]) -> None:
    op.create_table(
        name,
        *columns,
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f(f"fk_{name}_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        *(sa.UniqueConstraint(*cols, name=op.f(f"uq_{name}_{'_'.join(cols)}")) for cols in unique),
    )  # fmt: skip
    op.create_index(op.f(f"ix_{name}_tenant_id"), name, ["tenant_id"], unique=False)


def upgrade() -> None:
    _owned(
        "feature_code_choices",
        sa.Column("feature", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        unique=(("tenant_id", "feature"), ("tenant_id", "code")),
    )
    _owned(
        "short_numbers",
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        unique=(("tenant_id", "number"),),
    )


def downgrade() -> None:
    for name in ("short_numbers", "feature_code_choices"):
        op.drop_index(op.f(f"ix_{name}_tenant_id"), table_name=name)
        op.drop_table(name)

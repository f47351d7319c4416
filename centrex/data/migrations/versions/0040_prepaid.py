"""prepaid in the call (issue 20 item 2): `tenants.prepaid`, the credit ledger, reservations

`tenants.prepaid` (false for every existing tenant: nothing changes until an operator turns it
on) is added in place; `credit_ledger` (every change of `tenants.credit`, with the balance after
it) and `credit_reservations` (the credit each call in progress may spend, shared by all nodes)
are new tenant-owned tables. The downgrade drops the tables and the column.

Revision ID: 0040_prepaid
Revises: 0039_cdr_rated_at
Create Date: 2026-12-07 23:30:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0040_prepaid"
down_revision: str | None = "0039_cdr_rated_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _owned(table: str) -> list[Any]:
    """The columns and constraints of `TenantOwned`."""
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
    op.add_column(
        "tenants",
        sa.Column("prepaid", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    t = "credit_ledger"
    op.create_table(
        t,
        sa.Column("at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("balance_after", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("call_id", sa.String(length=200), nullable=True),
        *_owned(t),
    )
    op.create_index(op.f(f"ix_{t}_tenant_id"), t, ["tenant_id"], unique=False)
    op.create_index(op.f(f"ix_{t}_at"), t, ["at"], unique=False)
    op.create_index(op.f(f"ix_{t}_call_id"), t, ["call_id"], unique=False)
    t = "credit_reservations"
    op.create_table(
        t,
        sa.Column("call_id", sa.String(length=200), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        *_owned(t),
        sa.UniqueConstraint("call_id", name=op.f(f"uq_{t}_call_id")),
    )
    op.create_index(op.f(f"ix_{t}_tenant_id"), t, ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_table("credit_reservations")
    op.drop_table("credit_ledger")
    op.drop_column("tenants", "prepaid")

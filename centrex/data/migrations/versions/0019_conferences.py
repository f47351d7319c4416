"""conference rooms: a tenant's room numbers, PINs, recording and size (issue 13 item 2)

`numbers.conference_id` points a DID at a room. A branch of its own off 0018 (issue 13
features each add a sibling branch; `centrex db upgrade` applies every head).

Revision ID: 0019_conferences
Revises: 0018_caller_id_rules
Create Date: 2026-12-03 08:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0019_conferences"
down_revision: str | None = "0018_caller_id_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "conferences"


def upgrade() -> None:
    op.create_table(
        NAME,
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("pin", sa.String(length=16), nullable=True),
        sa.Column("moderator_pin", sa.String(length=16), nullable=True),
        sa.Column("record", sa.Boolean(), nullable=False),
        sa.Column("max_members", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.CheckConstraint("max_members > 1", name=op.f(f"ck_{NAME}_max_members_several")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f(f"fk_{NAME}_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{NAME}")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f(f"uq_{NAME}_tenant_id_number")),
    )  # fmt: skip
    op.create_index(op.f(f"ix_{NAME}_tenant_id"), NAME, ["tenant_id"], unique=False)
    with op.batch_alter_table("numbers") as batch:  # a DID may lead to a room
        batch.add_column(sa.Column("conference_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_numbers_conference_id_conferences"), NAME, ["conference_id"], ["id"],
            ondelete="SET NULL",
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("numbers") as batch:
        batch.drop_constraint(op.f("fk_numbers_conference_id_conferences"), type_="foreignkey")
        batch.drop_column("conference_id")
    op.drop_index(op.f(f"ix_{NAME}_tenant_id"), table_name=NAME)
    op.drop_table(NAME)

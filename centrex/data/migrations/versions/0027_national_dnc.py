"""national dnc: the provider's national do-not-call lists (issue 15 item 2)

Bloctel (FR), the TPS (UK), ...: platform tables, not tenant-owned. `national_dnc_lists` holds
one row per (country, name) with its last import's time and size; `national_dnc_numbers` the
E.164 numbers, keyed by (list_id, number) and indexed on number alone for the dialer's
"which of these numbers is listed?". New tables only: the downgrade drops them.

Revision ID: 0027_national_dnc
Revises: 0025_campaign_callbacks
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0027_national_dnc"
down_revision: str | None = "0025_campaign_callbacks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LISTS, NUMBERS = "national_dnc_lists", "national_dnc_numbers"


def upgrade() -> None:
    op.create_table(
        LISTS,
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("imported_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_national_dnc_lists")),
        sa.UniqueConstraint("country", "name", name=op.f("uq_national_dnc_lists_country_name")),
    )
    op.create_table(
        NUMBERS,
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["national_dnc_lists.id"],
            name=op.f("fk_national_dnc_numbers_list_id_national_dnc_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", "number", name=op.f("pk_national_dnc_numbers")),
    )
    op.create_index("ix_national_dnc_numbers_number", NUMBERS, ["number"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_national_dnc_numbers_number", table_name=NUMBERS)
    op.drop_table(NUMBERS)
    op.drop_table(LISTS)

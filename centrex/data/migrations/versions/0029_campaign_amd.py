"""campaign answering-machine detection: `campaigns.amd`

Issue 15 item 3: "optional answering-machine detection per campaign (voice activity detection;
outcome `machine`)". A plain column with a server default (existing campaigns read false, as
before); added and dropped in place — never a batch copy of `campaigns`, whose DROP would
cascade into every lead on SQLite.

Revision ID: 0029_campaign_amd
Revises: 0025_campaign_callbacks
Create Date: 2026-12-04 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_campaign_amd"
down_revision: str | None = "0025_campaign_callbacks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "campaigns",
        sa.Column("amd", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("campaigns", "amd")  # SQLite >= 3.35: in place, no table copy

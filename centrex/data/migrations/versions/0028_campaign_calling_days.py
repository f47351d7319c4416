"""campaign calling days and legal rules: `campaigns.calling_days`, `campaigns.legal_rules`

Issue 15 item 1: "calling window in the called party's local time (…; per-country defaults;
holidays)". A campaign calls on its calling days ("mon-fri", "mon,wed,fri") and, with
`legal_rules` on, only inside the legal hours of the callee's country and not on its public
holidays (`contact_center/country_rules.py`). Plain columns with server defaults: campaigns
written before this revision read "mon-sun" and legal rules on. Added and dropped in place —
never a batch copy of `campaigns`, whose DROP would cascade into every lead on SQLite.

Revision ID: 0028_campaign_calling_days
Revises: 0025_campaign_callbacks
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028_campaign_calling_days"
down_revision: str | None = "0025_campaign_callbacks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "campaigns",
        sa.Column("calling_days", sa.String(length=30), nullable=False, server_default="mon-sun"),
    )
    op.add_column(
        "campaigns",
        sa.Column("legal_rules", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    # SQLite >= 3.35 drops a plain column in place (no table copy)
    op.drop_column("campaigns", "legal_rules")
    op.drop_column("campaigns", "calling_days")

"""who promised a callback (issue 16): `campaign_callbacks.promised_by`

The agent desktop's notice when a callback comes back says who promised it; until now only the
extension it is reserved for was known, so the notice said "you", "the campaign team" or an
extension. `promised_by` is the promiser's display name as the API or the CLI saw it ("Alice
Agent (102)", a token's role, "CLI"). A nullable column added in place (no table copy: callbacks
already promised keep NULL, "not recorded", and the desktop falls back to the old wording).

Revision ID: 0041_callback_promised_by
Revises: 0040_prepaid
Create Date: 2026-12-08 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041_callback_promised_by"
down_revision: str | None = "0040_prepaid"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "campaign_callbacks", sa.Column("promised_by", sa.String(length=200), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("campaign_callbacks", "promised_by")

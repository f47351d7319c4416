"""cdr legs: who transferred the call to a leg's party (issue 12, transfer from the phone)

A transfer (REFER, attended with Replaces, INVITE with Replaces) adds a leg for the target
instead of overwriting the call's callee; `transferred_by` names the transferring extension.
A branch of its own off 0009 (issue 12 features each add a sibling branch).

Revision ID: 0012_cdr_leg_transfer
Revises: 0009_digest_policy
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_cdr_leg_transfer"
down_revision: str | None = "0009_digest_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cdr_legs", sa.Column("transferred_by", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("cdr_legs", "transferred_by")  # SQLite 3.35+ drops a plain column

"""forwarding, do not disturb and call waiting per extension (issue 12, item 2)

Forward destinations are strings as the user gave them, normalised on save: an extension
number, an E.164 number, `voicemail` or `flow:NAME` (NULL: no forward of that kind). The
no-answer delay is in seconds (NULL: the default of 20 s). DND is off and call waiting on for
every existing extension.

Revision ID: 0011_forwarding
Revises: 0009_digest_policy
Create Date: 2026-12-02 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_forwarding"
down_revision: str | None = "0009_digest_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DESTINATIONS = ("forward_always", "forward_busy", "forward_no_answer", "forward_unregistered")


def upgrade() -> None:
    for name in DESTINATIONS:
        op.add_column("extensions", sa.Column(name, sa.String(length=120), nullable=True))
    op.add_column("extensions", sa.Column("forward_no_answer_seconds", sa.Integer(), nullable=True))
    op.add_column(
        "extensions",
        sa.Column("dnd", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "extensions",
        sa.Column("call_waiting", sa.Boolean(), server_default=sa.true(), nullable=False),
    )


def downgrade() -> None:
    for name in ("call_waiting", "dnd", "forward_no_answer_seconds", *DESTINATIONS):
        op.drop_column("extensions", name)

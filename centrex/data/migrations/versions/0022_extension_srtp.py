"""extension SRTP policy: optional, required or off (SDES for desk phones, issue 14 item 3)

`extensions.srtp` (default optional: SRTP offers accepted, plain RTP offered; required: plain
offers refused with 488 and RTP/SAVP offered; off: RTP/SAVP offers refused). A branch of its
own off 0009, beside the digest policy it resembles (`centrex db upgrade` applies every head).

Revision ID: 0022_extension_srtp
Revises: 0009_digest_policy
Create Date: 2026-12-03 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_extension_srtp"
down_revision: str | None = "0009_digest_policy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MODES = "('optional', 'required', 'off')"


def upgrade() -> None:
    # Inline CHECK in ADD COLUMN, never batch mode on extensions (see 0007 and 0021); the name
    # is the one the models' naming convention gives the enum (ck_<table>_<enum name>).
    op.add_column(
        "extensions",
        sa.Column(
            "srtp",
            sa.String(length=32),
            sa.CheckConstraint(f"srtp IN {MODES}", name=op.f("ck_extensions_extension_srtp")),
            server_default="optional",
            nullable=False,
        ),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+ drops a column whose CHECK names only that column).
    op.drop_column("extensions", "srtp")

"""supervisor monitoring: extensions flagged supervisor, a tenant's monitoring beep

Issue 13 item 6. `extensions.supervisor` (off) lets that extension's phone listen to, whisper
to and barge into the tenant's live calls (`*90N`, `*91N`, `*92N`, `POST /calls/{id}/monitor`)
besides extensions whose user has the supervisor role; `tenants.monitor_beep` (off) plays a
short beep to the monitored parties when a supervisor joins. A branch of its own off 0018
(`centrex db upgrade` applies every head).

Revision ID: 0021_supervisor
Revises: 0018_caller_id_rules
Create Date: 2026-12-03 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_supervisor"
down_revision: str | None = "0018_caller_id_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "extensions",
        sa.Column("supervisor", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "tenants",
        sa.Column("monitor_beep", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), never batch mode: batch copies and drops the table, and
    # with foreign keys on, SQLite's DROP TABLE of tenants or extensions would cascade into
    # every row that refers to them; the copy would also turn 0009's inline CHECK on
    # digest_policy into a table CHECK that 0009's own downgrade can no longer drop.
    op.drop_column("tenants", "monitor_beep")
    op.drop_column("extensions", "supervisor")

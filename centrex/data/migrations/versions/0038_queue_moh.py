"""a queue's own music on hold (issue 21: per-queue MOH chosen on the queues page or the API)

`queues.moh_id`: the tenant media file (kind moh or prompt) that callers waiting in the queue
hear instead of the tenant's default music. Nullable, with a foreign key that goes NULL when the
file is deleted (the API refuses that delete with 409 `media-in-use` first; the ON DELETE is the
database's own guarantee). Added in place: `queues` is referenced by `numbers` and
`queue_members`, so no table copy on SQLite. The downgrade drops it.

Revision ID: 0038_queue_moh
Revises: 0032_number_queue
Create Date: 2026-12-07 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0038_queue_moh"
down_revision: str | None = "0032_number_queue"
branch_labels: str | Sequence[str] | None = None
# media_files is made on the apps branch (0005), not on the queues line this revision follows
depends_on: str | Sequence[str] | None = ("0005_apps",)

FK = "fk_queues_moh_id_media_files"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its foreign key in place (ALTER TABLE cannot add one later)
        op.execute(
            f"ALTER TABLE queues ADD COLUMN moh_id INTEGER CONSTRAINT {FK} "
            "REFERENCES media_files (id) ON DELETE SET NULL"
        )
        return
    op.add_column(
        "queues",
        sa.Column(
            "moh_id",
            sa.Integer(),
            sa.ForeignKey("media_files.id", name=FK, ondelete="SET NULL"),
            nullable=True,
        ),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(FK, "queues", type_="foreignkey")
    op.drop_column("queues", "moh_id")  # SQLite >= 3.35: in place, no table copy

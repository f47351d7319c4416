"""ring groups: the `page` strategy (issue 12 item 9, paging groups)

The strategy column is a plain string with a CHECK (`_enum`, identical on SQLite and
PostgreSQL), so a new strategy value means a new CHECK: the old one is dropped and the new one
created (on SQLite `batch_alter_table` rebuilds the table, on PostgreSQL two ALTERs). A branch
of its own off 0010 (issue 12 features each add a sibling branch; `centrex db upgrade` applies
every head).

Revision ID: 0016_ring_group_page
Revises: 0010_ring_groups
Create Date: 2026-12-02 21:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_ring_group_page"
down_revision: str | None = "0010_ring_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("simultaneous", "sequential", "round-robin", "longest-idle")
_NEW = (*_OLD, "page")


def _check(values: tuple[str, ...]) -> str:
    return "strategy IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _replace(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("ring_groups") as batch:
        batch.drop_constraint(op.f("ck_ring_groups_ring_strategy"), type_="check")
        batch.create_check_constraint("ring_strategy", _check(values))


def upgrade() -> None:
    _replace(_NEW)


def downgrade() -> None:
    op.execute("UPDATE ring_groups SET strategy = 'simultaneous' WHERE strategy = 'page'")
    _replace(_OLD)

"""ACD queues, their members and agents (issue 13 items 4, 5, 7)

`queues` (number, strategy, ring/wrap-up/max-wait/service-level seconds, fallback, position
announcements, the level an agent needs), `queue_members` (extension, level, static or joined
with *50), `pause_reasons` (codes dialled after *52), `agent_states` (what an extension chose:
ready, paused with a reason, logged out), and the logs the statistics read: `queue_calls` (one
row per caller that entered a queue) and `agent_events` (ring, talk, wrap-up, pause intervals).

Revision ID: 0020_queues
Revises: 0018_caller_id_rules
Create Date: 2026-12-03 08:10:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import centrex.data.models.base

revision: str = "0020_queues"
down_revision: str | None = "0018_caller_id_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("agent_events", "queue_calls", "agent_states", "pause_reasons", "queue_members",
          "queues")  # fmt: skip


def _owned(name: str) -> list[Any]:
    """The columns and constraints every tenant-owned row has (`TenantOwned`)."""
    return [
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f(f"fk_{name}_tenant_id_tenants"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    ]  # fmt: skip


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "queues",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("strategy", _enum("queue_strategy", "ring-all", "longest-idle", "round-robin",
                                    "fewest-calls", "skills"), nullable=False),
        sa.Column("ring_seconds", sa.Integer(), nullable=False),
        sa.Column("wrap_up_seconds", sa.Integer(), nullable=False),
        sa.Column("max_wait_seconds", sa.Integer(), nullable=False),
        sa.Column("fallback", sa.String(length=100), nullable=True),
        sa.Column("announce_position", sa.Boolean(), nullable=False),
        sa.Column("service_level_seconds", sa.Integer(), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        *_owned("queues"),
        sa.CheckConstraint("max_wait_seconds > 0", name=op.f("ck_queues_max_wait_positive")),
        sa.UniqueConstraint("tenant_id", "number", name=op.f("uq_queues_tenant_id_number")),
    )  # fmt: skip
    op.create_table(
        "queue_members",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("extension", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("static", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *_owned("queue_members"),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"],
                                name=op.f("fk_queue_members_queue_id_queues"), ondelete="CASCADE"),
        sa.UniqueConstraint("queue_id", "extension",
                            name=op.f("uq_queue_members_queue_id_extension")),
    )  # fmt: skip
    op.create_index(op.f("ix_queue_members_queue_id"), "queue_members", ["queue_id"])
    op.create_table(
        "pause_reasons",
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        *_owned("pause_reasons"),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_pause_reasons_tenant_id_code")),
    )  # fmt: skip
    op.create_table(
        "agent_states",
        sa.Column("extension", sa.String(length=32), nullable=False),
        sa.Column("mode", _enum("agent_mode", "ready", "paused", "logged-out"), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("since", centrex.data.models.base.UtcDateTime(), nullable=False),
        *_owned("agent_states"),
        sa.UniqueConstraint("tenant_id", "extension",
                            name=op.f("uq_agent_states_tenant_id_extension")),
    )  # fmt: skip
    op.create_table(
        "queue_calls",
        sa.Column("queue_number", sa.String(length=32), nullable=False),
        sa.Column("call_id", sa.String(length=255), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("entered_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("outcome", _enum("queue_outcome", "waiting", "answered", "abandoned",
                                   "overflowed"), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.Column("agent", sa.String(length=32), nullable=True),
        sa.Column("talk_seconds", sa.Float(), nullable=False),
        *_owned("queue_calls"),
    )  # fmt: skip
    op.create_index(op.f("ix_queue_calls_queue_number"), "queue_calls", ["queue_number"])
    op.create_index(op.f("ix_queue_calls_entered_at"), "queue_calls", ["entered_at"])
    op.create_table(
        "agent_events",
        sa.Column("extension", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("queue_number", sa.String(length=32), nullable=True),
        sa.Column("started_at", centrex.data.models.base.UtcDateTime(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        *_owned("agent_events"),
    )  # fmt: skip
    op.create_index(op.f("ix_agent_events_extension"), "agent_events", ["extension"])
    op.create_index(op.f("ix_agent_events_started_at"), "agent_events", ["started_at"])
    for name in TABLES:
        op.create_index(op.f(f"ix_{name}_tenant_id"), name, ["tenant_id"], unique=False)


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)

"""Rows of the agent statistics (issue 16): an agent's day stats, the campaign's workbook
export, and the campaign stats in the formats the main table's JSON row does not try (pdf,
xlsx, with a period), attacked from outside tenant A. `seed` logs a state change of A's agent
301, so its day has figures B must never read."""

from __future__ import annotations

from tests.api.multitenant_row import READ, Row, V
from tests.api.multitenant_world import Env

STATS = f"{V}/campaigns/{{campaign_id}}/stats"

ROWS: list[Row] = [
    Row("GET", f"{V}/agents/{{extension}}/stats", READ, params={"extension": "a_agent"}),
    Row(
        "GET",
        f"{V}/agents/{{extension}}/stats",
        READ,
        params={"extension": "a_agent"},
        query={"day": "2026-01-01"},
        note="a day",
    ),
    Row("GET", f"{V}/campaigns/{{campaign_id}}/export.xlsx", READ),
    Row("GET", STATS, READ, query={"format": "pdf"}, note="pdf"),
    Row(
        "GET",
        STATS,
        READ,
        query={"format": "xlsx", "since": "2025-12-01T00:00:00Z"},
        note="xlsx since",
    ),
]


async def seed(env: Env) -> None:
    """A's agent 301 goes ready (a row of the agent state log)."""
    response = await env.world.client.put(
        f"{V}/agents/301/state", headers=env.world.auth("admin_a"), json={"state": "ready"}
    )
    assert response.status_code == 200, response.text

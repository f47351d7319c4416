"""Rows of the agent desktop (issue 16): the agent session routes, the lead card's number
look-up of `GET /api/v1/leads?number=`, attacked from outside tenant A. `seed` logs A's agent
301 in to A's campaign, so A's admin sees it on the floor (the list's control) and B never
does; B's own extension 401 logging in to A's campaign is 404 (`campaign-not-found`)."""

from __future__ import annotations

from tests.api.multitenant_row import LIST, READ, REFERENCE, WRITE, Row, V, json_body, ref
from tests.api.multitenant_world import Env

SESSION = f"{V}/agents/{{extension}}/session"

ROWS: list[Row] = [
    Row("GET", f"{V}/agents/sessions", LIST),
    Row("GET", SESSION, READ, params={"extension": "a_agent"}),
    Row(
        "PUT",
        SESSION,
        WRITE,
        body=json_body({"state": "logged-out"}),
        params={"extension": "a_agent"},
    ),
    Row(
        "PUT",
        SESSION,
        REFERENCE,
        params={"extension": "b_agent"},
        body=ref(lambda ids: {"campaigns": [ids["campaign_id"]], "state": "ready"}),
        error="campaign-not-found",
        note="B's agent in A's campaign",
    ),
    Row("POST", f"{SESSION}/hangup", WRITE, params={"extension": "a_agent"}),
    Row(
        "GET",
        f"{V}/leads",
        LIST,
        own="lead_id",
        query={"number": "+41445550100"},
        note="by number (an inbound caller's card)",
    ),
]


async def seed(env: Env) -> None:
    """A's agent 301 is logged in to A's campaign; B's extension 401 is B's agent."""
    env.ids["b_agent"] = "401"
    response = await env.world.client.put(
        f"{V}/agents/301/session", headers=env.world.auth("admin_a"),
        json={"campaigns": [env.ids["campaign_id"]], "state": "ready"},
    )  # fmt: skip
    assert response.status_code == 200, response.text

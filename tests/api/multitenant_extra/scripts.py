"""Call scripts in the multi-tenant table: A's script (bound to A's campaign) and the answers
for A's lead are out of B's reach; B's own campaign cannot be bound to A's script; and an agent
of A whose extension takes no call of the campaign reads no script and stores no answer."""

from __future__ import annotations

from typing import Any

from tests.api.multitenant_row import CREATE, LIST, READ, REFERENCE, WRITE, Row, V, json_body, ref
from tests.api.multitenant_world import Env

DEFINITION: dict[str, Any] = {
    "start": "hello",
    "pages": [{"id": "hello", "title": "Zoe script", "text": "Hello {first_name}",
               "questions": [{"id": "zoe_q", "label": "Zoe asks?", "type": "yesno"}]}],
    "objections": [{"id": "zoe_price", "label": "Zoe price", "rebuttal": "Zoe rebuttal"}],
}  # fmt: skip
AGENT = (("agent_a", None),)

ROWS: list[Row] = [
    Row("GET", f"{V}/scripts", LIST, own="script_id"),
    Row("POST", f"{V}/scripts", CREATE,
        body=json_body({"name": "Mallory script", "definition": DEFINITION})),
    Row("POST", f"{V}/scripts/validate", READ, body=json_body(DEFINITION),
        query={"script_id": "{script_id}"}, note="against A's script"),
    Row("GET", f"{V}/scripts/{{script_id}}", READ),
    Row("PUT", f"{V}/scripts/{{script_id}}", WRITE, body=json_body({"name": "Mallory"})),
    Row("DELETE", f"{V}/scripts/{{script_id}}", WRITE),
    Row("GET", f"{V}/campaigns/{{campaign_id}}/script", READ),
    Row("PUT", f"{V}/campaigns/{{campaign_id}}/script", WRITE, body=json_body({"script_id": None})),
    Row("PUT", f"{V}/campaigns/{{campaign_id}}/script", REFERENCE,
        params={"campaign_id": "b_campaign_id"},
        body=ref(lambda ids: {"script_id": ids["script_id"]}),
        error="script-not-found", note="own campaign to A's script"),
    Row("GET", f"{V}/leads/{{lead_id}}/script", READ),
    Row("GET", f"{V}/leads/{{lead_id}}/script", READ, attackers=AGENT,
        note="agent of A, not an agent of the campaign"),
    Row("PUT", f"{V}/leads/{{lead_id}}/answers", WRITE,
        body=json_body({"answers": {"zoe_q": "no"}})),
    Row("PUT", f"{V}/leads/{{lead_id}}/answers", WRITE, attackers=AGENT,
        body=json_body({"answers": {"zoe_q": "no"}}),
        note="agent of A, not an agent of the campaign"),
]  # fmt: skip


async def _send(env: Env, method: str, path: str, status: int, body: Any) -> dict[str, Any]:
    response = await env.world.client.request(method, path, headers=env.world.auth("admin_a"),
                                              json=body)  # fmt: skip
    assert response.status_code == status, (path, response.text)
    return dict(response.json())


async def seed(env: Env) -> None:
    """A's script "Zoe script", bound to A's campaign, and an answer for A's lead."""
    made = await _send(env, "POST", f"{V}/scripts", 201,
                       {"name": "Zoe script", "definition": DEFINITION})  # fmt: skip
    env.ids["script_id"] = made["id"]
    await _send(env, "PUT", f"{V}/campaigns/{env.ids['campaign_id']}/script", 200,
                {"script_id": made["id"]})  # fmt: skip
    await _send(env, "PUT", f"{V}/leads/{env.ids['lead_id']}/answers", 200,
                {"answers": {"zoe_q": "yes"}})  # fmt: skip

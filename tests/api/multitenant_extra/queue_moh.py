"""Rows of a queue's own music on hold (issue 21): tenant B pointing a queue of its own at A's
media file (A's prompt, a kind a queue may play) is refused as an unknown file (422
`queue-moh-unknown`), on create and on update of B's queue, exactly as another tenant's
extension is no queue member; the media routes' own rows already keep A's file out of reach."""

from __future__ import annotations

from tests.api.multitenant_row import REFERENCE, Row, V, ref
from tests.api.multitenant_world import Env, _post

MEMBERS = [{"extension": "401"}]  # B's own extension

ROWS: list[Row] = [
    Row(
        "POST",
        f"{V}/queues",
        REFERENCE,
        body=ref(lambda ids: {"number": "883", "members": MEMBERS, "moh": ids["media_id"]}),
        status=422,
        error="queue-moh-unknown",
        note="music on hold of A",
    ),
    Row(
        "PATCH",
        f"{V}/queues/{{queue_id}}",
        REFERENCE,
        body=ref(lambda ids: {"moh": ids["media_id"]}),
        params={"queue_id": "b_queue_id"},
        status=422,
        error="queue-moh-unknown",
        note="own queue to music on hold of A",
    ),
]


async def seed(env: Env) -> None:
    """B's own queue 884 (its extension 401 answers it), for the update row."""
    queue = await _post(env, "admin_b", f"{V}/queues",
                        json={"number": "884", "members": [{"extension": "401"}]})  # fmt: skip
    env.ids["b_queue_id"] = queue["id"]

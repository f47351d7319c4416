"""Rows of the supervisor console (issue 16): the recording search parameters of
`GET /api/v1/recordings` attacked from outside tenant A. Tenant B searching by A's lead,
campaign, disposition code, client name, number or period finds none of A's recordings (a
filter, like `cdr_id`: another tenant's id lists nothing), while A's own admin finds its
recording by each of them (the table's control), which `seed` makes true by recording A's lead
attempt on the call of A's recording ("cdr-zoe")."""

from __future__ import annotations

from centrex.data.models import LeadAttempt
from centrex.provisioning import tenants
from tests.api.multitenant_row import LIST, Row, V
from tests.api.multitenant_world import A, Env


def _search(note: str, **query: str) -> Row:
    return Row("GET", f"{V}/recordings", LIST, own="recording_id", query=query, note=note)


ROWS: list[Row] = [
    _search("by lead of A", lead="{lead_id}"),
    _search("by campaign of A", campaign="{campaign_id}"),
    _search("by disposition of A", disposition="{disposition_code}"),
    _search("by name of A's lead", name="Zoe Lead"),
    _search("by number of A's lead", number="+41445550100"),
    _search("by period", since="2000-01-01T00:00:00Z", until="2100-01-01T00:00:00Z"),
]


async def seed(env: Env) -> None:
    """A's recorded call "cdr-zoe" was a dialer call to A's lead, dispositioned with A's code."""
    ids, w = env.ids, env.world
    now = w.clock.utcnow()
    async with w.database.transaction() as session:
        scope = await tenants.scope_for(session, A)
        scope.add(LeadAttempt(lead_id=ids["lead_id"], campaign_id=ids["campaign_id"],
                              started_at=now, ended_at=now, outcome="answered",
                              disposition=str(ids["disposition_code"]), call_id="cdr-zoe",
                              extension_id=ids["extension_id"]))  # fmt: skip

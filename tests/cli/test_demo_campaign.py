"""The demo tenant's sample campaign "Demo outbound": made once, however often the demo starts,
with its leads imported as one batch and the sample DNC number filtered out."""

from __future__ import annotations

from centrex.cli.common import CliState
from centrex.cli.serve import DEMO_QUEUE_AGENTS, _demo_objects
from centrex.contact_center import campaigns, leads
from centrex.contact_center.demo import DEMO_CAMPAIGN, DEMO_DNC
from centrex.data.db import Database
from centrex.data.models import Campaign, LeadBatch
from centrex.provisioning.tenants import scope_for


async def test_demo_campaign_is_made_once_with_its_leads(db: Database) -> None:
    for _run in range(2):
        async with db.transaction() as session:
            await _demo_objects(CliState(), session)
    async with db.session() as session:
        scope = await scope_for(session, "demo.centrex.test")
        assert await scope.count(Campaign) == 1
        # the imported batch, and the worked history that `campaign simulate` replays
        assert await scope.count(LeadBatch) == 2
        demo = await campaigns.get_campaign(scope, DEMO_CAMPAIGN)
        view = await campaigns.campaign_dict(scope, demo)
        assert (view["method"], view["agents"]) == ("progressive", list(DEMO_QUEUE_AGENTS))
        assert (await campaigns.lead_counts(scope, demo))["new"] == 4  # the imported leads
        found = await leads.search_leads(scope, campaign=demo)
        numbers = {x["number"] for x in found["items"]}
        assert DEMO_DNC not in numbers
        assert "+41445550101" in numbers
        assert (await leads.search_leads(scope, query="Rossi"))["items"][0]["custom"] == {
            "company": "Rossi SA", "interest": "mobile",
        }  # fmt: skip

"""The demo tenant's sample outbound campaign, "Demo outbound" (issue 15).

`centrex demo` calls `seed_demo_campaign` after the queue and the conference room: a progressive
campaign answered by the queue's agents, local-presence caller ID, a few fictional leads
(Swiss 555 numbers, with custom fields) imported as one batch through the real import path,
and one tenant-wide DNC entry that the import filters, plus yesterday's dialing history
(`demo_history`: 200 attempts of already worked leads, so `campaign simulate` replays
observed data). It is created once and left alone on later runs, so changes made while
trying the demo survive a restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from centrex.contact_center import campaigns, dnc
from centrex.contact_center.demo_history import seed_history
from centrex.contact_center.lead_import import import_leads
from centrex.data.models import Campaign
from centrex.data.tenancy import TenantScope

DEMO_CAMPAIGN = "Demo outbound"
DEMO_LEADS = (
    "name,number,postal_code,company,interest",
    "Anna Keller,044 555 01 01,8001,Keller AG,fibre",
    "Marco Rossi,+41 91 555 02 02,6900,Rossi SA,mobile",
    "Claire Dubois,022 555 03 03,1201,Dubois Sàrl,fibre",
    "Jonas Meier,031 555 04 04,3011,,PBX",
    "Do Not Call,044 555 09 09,8002,,",
)
DEMO_DNC = "+41445550909"


async def seed_demo_campaign(scope: TenantScope, agents: Sequence[str], now: datetime) -> Campaign:
    """Create the sample campaign with its leads, or return it when it exists already."""
    existing = await scope.first(Campaign, Campaign.name == DEMO_CAMPAIGN)
    if existing is not None:
        return existing
    campaign = await campaigns.create_campaign(
        scope, name=DEMO_CAMPAIGN, method="progressive", agents=agents, window="09:00-20:00"
    )
    await dnc.add_number(scope, DEMO_DNC, note="demo: asked not to be called")
    data = ("\n".join(DEMO_LEADS) + "\n").encode()
    await import_leads(scope, campaign, data, now=now, filename="demo-leads.csv")
    await seed_history(scope, campaign, agents, now)
    return campaign

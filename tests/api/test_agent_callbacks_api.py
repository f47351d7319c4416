"""POST /api/v1/callbacks by an agent of the desktop (SQLite and PostgreSQL): agent Alice (301),
an agent of "Zoe Spring" directly and of "Autumn" through the queue 501 she is a member of,
promises a personal callback (her own extension) and one for anyone of the campaign in both;
she may not promise one to Bob's extension (403); Bob's campaign "Winter" (a lead there the
admin can promise to) and another tenant's campaign are 404 `campaign-not-found`, nothing
written; a plain user still promises only personal callbacks (403 for anyone); and Alice's
list shows her personal callbacks only."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import World
from tests.api.test_campaigns_api import LEADS, _ok, _setup
from tests.api.test_dispositions_api import _staff

CB, C = "/api/v1/callbacks", "/api/v1/campaigns"


async def _campaign(world: World, name: str, who: str = "admin_a", **assign: Any) -> int:
    made = await _ok(world, "POST", C, who, 201,
                     json={"name": name, "method": "predictive", "legal_rules": False, **assign})  # fmt: skip
    await _ok(world, "POST", "/api/v1/leads/import", who, 201,
              files={"file": ("l.csv", LEADS.encode(), "text/csv")},
              data={"campaign_id": str(made["id"]), "map": ["number=Phone", "name=Name"]})  # fmt: skip
    return int(made["id"])


async def _world(world: World) -> dict[str, int]:
    spring = int((await _setup(world))["campaign"]["id"])  # agents ["301"]
    await _staff(world)  # Alice: agent, 301; Bob: agent, 302; Sonia: supervisor
    await _ok(world, "POST", "/api/v1/queues", "admin_a", 201,
              json={"number": "501", "members": [{"extension": "301"}]})  # fmt: skip
    autumn = await _campaign(world, "Autumn", groups=["501"])
    winter = await _campaign(world, "Winter", agents=["302"])
    theirs = await _campaign(world, "Theirs", "admin_b", agents=["401"])
    return {"spring": spring, "autumn": autumn, "winter": winter, "theirs": theirs}


def _body(campaign: int, extension: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {"campaign_id": campaign, "number": "+41445550001", "at": "2026-01-05T10:00", **extra}
    return body if extension is None else {**body, "extension": extension}


async def test_an_agent_promises_personal_and_for_anyone_in_its_campaigns(world: World) -> None:
    ids = await _world(world)
    mine = await _ok(world, "POST", CB, "alice", 201, json=_body(ids["spring"], "301",
                                                                 note="after lunch"))  # fmt: skip
    assert (mine["scope"], mine["extension"], mine["note"]) == ("personal", "301", "after lunch")
    anyone = await _ok(world, "POST", CB, "alice", 201, json=_body(ids["spring"]))
    assert (anyone["scope"], anyone["extension"], anyone["campaign"]) == (
        "campaign", None, "Zoe Spring")  # fmt: skip
    # through the agent group (queue 501) as well
    group = await _ok(world, "POST", CB, "alice", 201, json=_body(ids["autumn"]))
    assert (group["scope"], group["campaign"]) == ("campaign", "Autumn")
    own = await _ok(world, "POST", CB, "alice", 201, json=_body(ids["autumn"], "301"))
    assert own["scope"] == "personal"
    # not for another agent's extension
    await _ok(world, "POST", CB, "alice", 403, json=_body(ids["spring"], "302"))
    # her list: her personal callbacks (the campaign-wide ones are the campaign's)
    listed = await _ok(world, "GET", CB, "alice")
    assert sorted(c["id"] for c in listed["items"]) == sorted([mine["id"], own["id"]])
    everything = await _ok(world, "GET", CB)
    assert everything["total"] == 4


async def test_other_campaigns_are_not_found(world: World) -> None:
    ids = await _world(world)
    for body in (_body(ids["winter"]), _body(ids["winter"], "301")):
        refused = await _ok(world, "POST", CB, "alice", 404, json=body)
        assert refused["error_id"] == "campaign-not-found", refused
    bob = await _ok(world, "POST", CB, "bob", 404, json=_body(ids["spring"]))
    assert bob["error_id"] == "campaign-not-found"
    # another tenant's campaign: not found either, for the agent as for A's admin
    for who in ("alice", "admin_a"):
        foreign = await _ok(world, "POST", CB, who, 404, json=_body(ids["theirs"]))
        assert foreign["error_id"] == "campaign-not-found"
    assert (await _ok(world, "GET", CB))["total"] == 0  # nothing was written
    # the same promise into Winter is the admin's (and Bob's) to make: the lead is there
    await _ok(world, "POST", CB, "bob", 201, json=_body(ids["winter"]))
    await _ok(world, "POST", CB, status=201, json=_body(ids["winter"], "302"))
    assert (await _ok(world, "GET", CB, "admin_b"))["total"] == 0


async def test_a_plain_user_still_promises_only_its_own(world: World) -> None:
    ids = await _world(world)
    await _ok(world, "PATCH", f"/api/v1/extensions/{await _ext_id(world, '303')}",
              json={"user_id": world.ids["user_a"]})  # fmt: skip
    await _ok(world, "POST", CB, "user_a", 403, json=_body(ids["spring"]))
    made = await _ok(world, "POST", CB, "user_a", 201, json=_body(ids["spring"], "303"))
    assert made["scope"] == "personal"


async def _ext_id(world: World, number: str) -> int:
    await _ok(world, "POST", "/api/v1/extensions", "admin_a", 201, json={"number": number})
    items = (await _ok(world, "GET", "/api/v1/extensions"))["items"]
    return int(next(e["id"] for e in items if e["number"] == number))

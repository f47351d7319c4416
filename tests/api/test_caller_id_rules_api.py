"""/api/v1/caller-id-rules and `centrex caller-id` (provisioning/caller_id_rules.py): one rule
per prefix, only the tenant's own numbers, each tenant's rules its own, admins only."""

from __future__ import annotations

from tests.api.conftest import World
from tests.cli.test_cli_admin import Centrex, centrex  # noqa: F401 - the fixture


async def test_the_api_keeps_rules_per_tenant_and_refuses_foreign_numbers(world: World) -> None:
    c, w = world.client, world
    admin = w.auth("admin_a")
    owned = await c.post("/api/v1/numbers", json={"e164": "+41215550188"}, headers=admin)
    assert owned.status_code == 201, owned.text
    made = await c.post("/api/v1/caller-id-rules", json={"prefix": "33", "number": "+41215550188"},
                        headers=admin)  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["prefix"] == "33"
    for body, status in (
        ({"prefix": "33", "number": "+41215550188"}, 409),  # one rule per prefix
        ({"prefix": "49", "number": "+41215550199"}, 422),  # not the tenant's number
        ({"prefix": "4x", "number": "+41215550188"}, 422),
    ):  # fmt: skip
        refused = await c.post("/api/v1/caller-id-rules", json=body, headers=admin)
        assert refused.status_code == status, (body, refused.text)
    every = await c.post("/api/v1/caller-id-rules", json={"prefix": "", "number": "+41215550188"},
                         headers=admin)  # fmt: skip
    assert every.status_code == 201, every.text
    other = w.auth("admin_b")
    assert (await c.get("/api/v1/caller-id-rules", headers=other)).json()["total"] == 0
    stolen = await c.post("/api/v1/caller-id-rules", json={"prefix": "33",
                                                          "number": "+41215550188"},
                          headers=other)  # fmt: skip
    assert stolen.status_code == 422, stolen.text  # A's number is not B's
    gone = await c.delete(f"/api/v1/caller-id-rules/{made.json()['id']}", headers=other)
    assert gone.status_code == 404, gone.text
    listed = await c.get("/api/v1/caller-id-rules", headers=admin)
    assert [r["prefix"] for r in listed.json()["items"]] == ["", "33"]
    deleted = await c.delete(f"/api/v1/caller-id-rules/{made.json()['id']}", headers=admin)
    assert deleted.status_code == 204, deleted.text
    user = await c.get("/api/v1/caller-id-rules", headers=w.auth("user_a"))
    assert user.status_code == 403, user.text


def test_the_cli_adds_lists_and_deletes_rules(centrex: Centrex) -> None:  # noqa: F811
    centrex.ok(
        "tenant", "create", "--name", "A", "--domain", "a.example.com",
        "--extension-digits", "3", "--max-calls", "4",
    )  # fmt: skip
    centrex.ok("number", "add", "+41215550160", "--tenant", "a.example.com")
    added = centrex.ok("caller-id", "add", "--tenant", "a.example.com", "--prefix", "33",
                       "--number", "+41215550160")  # fmt: skip
    assert (added["prefix"], added["number"]) == ("33", "+41215550160")
    foreign = centrex.run("caller-id", "add", "--tenant", "a.example.com", "--prefix", "49",
                          "--number", "+41215550161")  # fmt: skip
    assert foreign.exit_code != 0
    assert "not a number of a.example.com" in foreign.output
    listed = centrex.ok("caller-id", "list", "--tenant", "a.example.com")
    assert [r["prefix"] for r in listed["items"]] == ["33"]
    centrex.ok("caller-id", "delete", "--tenant", "a.example.com", "--prefix", "33")
    assert centrex.ok("caller-id", "list", "--tenant", "a.example.com")["items"] == []

"""CDR legs through the API and the CLI: the hops of a transferred call in order, with the
extension that transferred, and never another tenant's legs."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from centrex.cli import cli
from centrex.data.db import Database
from centrex.data.models import Cdr, CdrLeg, Direction, Disposition
from tests.api.conftest import World


async def _transferred_call(database: Database, tenant_id: int, now: datetime) -> int:
    """101 called 102, 102 transferred the call to 103 (leg 1): two legs, written in reverse
    index order so the test proves the listing orders by leg index."""
    async with database.transaction() as session:
        cdr = Cdr(
            tenant_id=tenant_id,
            call_id="legs-1",
            caller="101",
            callee="103",
            direction=Direction.INTERNAL,
            started_at=now - timedelta(minutes=3),
            disposition=Disposition.ANSWERED,
            billsec=90,
        )
        session.add(cdr)
        await session.flush()
        for index, peer, by in ((1, "103", "102"), (0, "102", None)):
            session.add(
                CdrLeg(
                    tenant_id=tenant_id,
                    cdr_id=cdr.id,
                    leg_index=index,
                    peer=peer,
                    started_at=now - timedelta(minutes=3 - index),
                    answered_at=now - timedelta(minutes=3 - index, seconds=-5),
                    ended_at=now,
                    disposition=Disposition.ANSWERED,
                    transferred_by=by,
                )
            )
        return cdr.id


async def test_legs_in_order_with_the_transferring_extension(world: World) -> None:
    cdr_id = await _transferred_call(world.database, world.ids["a"], world.clock.utcnow())
    c = world.client
    got = await c.get(f"/api/v1/cdrs/{cdr_id}/legs", headers=world.auth("admin_a"))
    assert got.status_code == 200, got.text
    legs = got.json()["items"]
    assert [(leg["leg_index"], leg["peer"], leg["transferred_by"]) for leg in legs] == [
        (0, "102", None),
        (1, "103", "102"),
    ]
    assert legs[1]["disposition"] == "answered"
    assert legs[1]["answered_at"] is not None
    # another tenant, a plain user whose lines are not in the call, a missing CDR: 404
    for who in ("admin_b", "user_a"):
        denied = await c.get(f"/api/v1/cdrs/{cdr_id}/legs", headers=world.auth(who))
        assert denied.status_code == 404, who
        assert denied.json()["error_id"] == "cdr-not-found"
        assert "103" not in denied.text
    missing = await c.get(f"/api/v1/cdrs/{cdr_id + 1000}/legs", headers=world.auth("admin_a"))
    assert missing.status_code == 404


def test_cli_cdr_show_prints_the_legs(cli_env: dict[str, str]) -> None:
    runner = CliRunner()

    def ok(*args: str) -> dict[str, object]:
        result = runner.invoke(cli, [*args, "--json"], env=cli_env)
        assert result.exit_code == 0, result.output
        return dict(json.loads(result.stdout))

    tenants = [
        ok(
            "tenant",
            "create",
            "--name",
            name,
            "--domain",
            domain,
            "--extension-digits",
            "3",
            "--max-calls",
            "2",
        )
        for name, domain in (("A", "a.example.com"), ("B", "b.example.com"))
    ]

    async def seed() -> int:
        database = Database(cli_env["CENTREX_DATABASE_URL"])
        try:
            now = datetime.now(UTC)
            return await _transferred_call(database, int(str(tenants[0]["id"])), now)
        finally:
            await database.dispose()

    cdr_id = asyncio.run(seed())
    body = ok("cdr", "show", "--tenant", "a.example.com", str(cdr_id))
    assert (body["caller"], body["callee"]) == ("101", "103")
    assert [leg["peer"] for leg in body["legs"]] == ["102", "103"]  # type: ignore[attr-defined]
    table = runner.invoke(
        cli, ["cdr", "show", "--tenant", "a.example.com", str(cdr_id)], env=cli_env
    )
    assert table.exit_code == 0
    assert "TRANSFERRED_BY" in table.stdout
    other = runner.invoke(
        cli, ["cdr", "show", "--tenant", "b.example.com", str(cdr_id), "--json"], env=cli_env
    )
    assert other.exit_code != 0
    assert f"CDR {cdr_id} not found" in other.stderr

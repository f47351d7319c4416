"""`centrex disposition add|list|remove|set` (SQLite and PostgreSQL): the system codes and the
tenant's own listed, a non-final code, refusals (a system code, a duplicate, a bad code, an
unknown code naming the known ones, another tenant's lead) each one line on stderr with
nothing written, and a lead dispositioned: do-not-call puts its number on the DNC list, and
`campaign stats` counts the disposition of the lead's last call."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from centrex.data.db import Database
from centrex.data.models import Lead, LeadAttempt
from tests.cli.test_cli_admin import Centrex
from tests.cli.test_cli_campaign_insights import _spring
from tests.cli.test_cli_campaign_insights import centrex as centrex  # noqa: PLC0414 - fixture
from tests.cli.test_cli_campaigns import A, B

SYSTEM_CODES = ["sale", "not-interested", "wrong-number", "do-not-call", "callback",
                "answering-machine"]  # fmt: skip


def _leads(centrex: Centrex) -> list[dict[str, object]]:
    found = centrex.ok("lead", "search", "--tenant", A, "--campaign", "Spring")
    return sorted(found["items"], key=lambda lead: str(lead["number"]))


def _called(centrex: Centrex, lead_id: int) -> None:
    """One answered call to the lead (as the dialer records it)."""

    async def write() -> None:
        database = Database(centrex.env["CENTREX_DATABASE_URL"])
        try:
            async with database.transaction() as session:
                lead = await session.scalar(select(Lead).where(Lead.id == lead_id))
                assert lead is not None
                session.add(LeadAttempt(tenant_id=lead.tenant_id, lead_id=lead.id,
                                        campaign_id=lead.campaign_id, outcome="answered",
                                        started_at=datetime(2026, 12, 4, 10, tzinfo=UTC)))  # fmt: skip
        finally:
            await database.dispose()

    asyncio.run(write())


def test_add_list_remove(centrex: Centrex) -> None:
    listed = centrex.ok("disposition", "list", "--tenant", A)
    assert [d["code"] for d in listed["items"]] == SYSTEM_CODES
    made = centrex.ok("disposition", "add", "--tenant", A, "--code", "call-later", "--label",
                      "Call later", "--not-final")  # fmt: skip
    assert made == {"code": "call-later", "label": "Call later", "final": False, "system": False}
    assert centrex.ok("disposition", "add", "--tenant", A, "--code", "promo", "--label",
                      "Promo")["final"] is True  # fmt: skip
    codes = [d["code"] for d in centrex.ok("disposition", "list", "--tenant", A)["items"]]
    assert codes == [*SYSTEM_CODES, "call-later", "promo"]
    assert [d["code"] for d in centrex.ok("disposition", "list", "--tenant", B)["items"]] == (
        SYSTEM_CODES)  # fmt: skip
    table = centrex.run("disposition", "list", "--tenant", A)
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0].split() == ["CODE", "LABEL", "FINAL", "SYSTEM"]
    add = ("disposition", "add", "--tenant", A, "--label", "X", "--code")
    assert "system disposition" in centrex.fails(*add, "sale")
    assert "exists already" in centrex.fails(*add, "promo")
    assert "lowercase letters" in centrex.fails(*add, "Bad Code")
    assert "not found" in centrex.fails("disposition", "remove", "--tenant", B, "--code", "promo")
    assert "cannot be removed" in centrex.fails("disposition", "remove", "--tenant", A, "--code",
                                                "callback")  # fmt: skip
    refused = centrex.run("disposition", "remove", "--tenant", A, "--code", "callback")
    assert refused.exit_code == 1  # a refused command, like `centrex dnc`
    centrex.ok("disposition", "remove", "--tenant", A, "--code", "promo")
    codes = [d["code"] for d in centrex.ok("disposition", "list", "--tenant", A)["items"]]
    assert codes == [*SYSTEM_CODES, "call-later"]
    assert centrex.run("disposition", "add", "--tenant", A, "--code", "x").exit_code == 2


def test_set_a_disposition(centrex: Centrex, tmp_path: Path) -> None:
    _spring(centrex, tmp_path)
    first, second = _leads(centrex)
    _called(centrex, int(str(first["id"])))
    lead = centrex.ok("disposition", "set", "--tenant", A, "--lead", str(first["id"]),
                      "--disposition", "sale", "--note", "paid by card")  # fmt: skip
    assert (lead["id"], lead["status"], lead["disposition"]) == (first["id"], "done", "sale")
    assert lead["custom"]["disposition_note"] == "paid by card"
    blocked = centrex.ok("disposition", "set", "--tenant", A, "--lead", str(second["id"]),
                         "--disposition", "do-not-call")  # fmt: skip
    assert blocked["status"] == "done"
    dnc = [e["number"] for e in centrex.ok("dnc", "list", "--tenant", A)["items"]]
    assert second["number"] in dnc
    unknown = centrex.fails("disposition", "set", "--tenant", A, "--lead", str(first["id"]),
                            "--disposition", "sold")  # fmt: skip
    assert "unknown disposition 'sold'; known: sale, not-interested" in unknown
    assert "not found" in centrex.fails("disposition", "set", "--tenant", B, "--lead",
                                        str(first["id"]), "--disposition", "sale")  # fmt: skip
    stats = centrex.ok("campaign", "stats", "--tenant", A, "--name", "Spring")
    assert stats["dispositions"] == {"sale": 1}  # the second lead was never called
    shown = centrex.run("disposition", "set", "--tenant", A, "--lead", str(first["id"]),
                        "--disposition", "not-interested")  # fmt: skip
    assert shown.exit_code == 0, shown.output
    after = json.loads(centrex.run("lead", "search", "--tenant", A, "--json").stdout)
    assert {x["id"]: x["disposition"] for x in after["items"]}[first["id"]] == "not-interested"

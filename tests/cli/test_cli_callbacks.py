"""`centrex callback add|list|remove` (SQLite and PostgreSQL): a personal callback in the lead's
local time, a campaign-wide one by lead id, listing by due time, removal; a time in the past,
a bad time and another tenant's campaign or callback each one line, nothing written."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli_admin import Centrex
from tests.cli.test_cli_campaign_insights import _spring
from tests.cli.test_cli_campaign_insights import centrex as centrex  # noqa: PLC0414 - fixture
from tests.cli.test_cli_campaigns import A, B

FAR = "2999-01-04 10:00"


def test_add_list_remove(centrex: Centrex, tmp_path: Path) -> None:
    _spring(centrex, tmp_path)
    personal = centrex.ok("callback", "add", "--tenant", A, "--campaign", "Spring", "--number",
                          "01 42 68 53 01", "--at", FAR, "--extension", "101")  # fmt: skip
    assert (personal["number"], personal["zone"], personal["scope"], personal["tenant"]) == (
        "+33142685301", "Europe/Paris", "personal", A,
    )  # fmt: skip
    assert personal["due_at"] == "2999-01-04T09:00:00+00:00"
    wide = centrex.ok("callback", "add", "--tenant", A, "--campaign", "Spring", "--lead-id",
                      str(personal["lead_id"]), "--at", "2999-01-03 09:00")  # fmt: skip
    listed = centrex.ok("callback", "list", "--tenant", A)
    assert [c["id"] for c in listed["items"]] == [wide["id"], personal["id"]]
    assert centrex.ok("callback", "list", "--tenant", B)["total"] == 0
    assert "not found" in centrex.fails("callback", "remove", "--tenant", B, "--id",
                                        str(wide["id"]))  # fmt: skip
    centrex.ok("callback", "remove", "--tenant", A, "--id", str(wide["id"]))
    assert centrex.ok("callback", "list", "--tenant", A)["total"] == 1


def test_bad_callbacks(centrex: Centrex, tmp_path: Path) -> None:
    _spring(centrex, tmp_path)
    base = ("callback", "add", "--tenant", A, "--campaign", "Spring", "--number", "+33142685301")
    assert "is in the past" in centrex.fails(*base, "--at", "2001-01-01 10:00")
    assert "YYYY-MM-DD HH:MM" in centrex.fails(*base, "--at", "soon")
    assert "--number or by --lead-id" in centrex.fails(
        "callback", "add", "--tenant", A, "--campaign", "Spring", "--at", FAR
    )
    assert "not found" in centrex.fails("callback", "add", "--tenant", B, "--campaign", "Spring",
                                        "--number", "+33142685301", "--at", FAR)  # fmt: skip
    assert centrex.ok("callback", "list", "--tenant", A)["total"] == 0

"""`centrex campaign create --group` and `campaign agents --agent/--group/--clear` (SQLite and
PostgreSQL): groups are queue numbers of the tenant, shown as `"groups"` beside `"agents"` in
`create`, `list` and `agents`; another tenant's queue is unknown (one line, nothing written);
a campaign whose only group is a queue start; `explain` names its members as the agents and
follows a member who joins the queue later without touching the campaign."""

from __future__ import annotations

import pytest

from tests.cli.test_cli_admin import Centrex

A = "a.example.com"
B = "b.example.com"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain, numbers in ((A, ("101", "102", "103")), (B, ("201",))):
        runner.ok("tenant", "create", "--name", domain, "--domain", domain, "--country", "FR",
                  "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        for number in numbers:
            runner.ok("extension", "create", "--tenant", domain, "--number", number)
    runner.ok("queue", "create", "--tenant", A, "--number", "800", "--strategy", "ring-all",
              "--member", "101", "--member", "102")  # fmt: skip
    runner.ok("queue", "create", "--tenant", B, "--number", "900", "--strategy", "ring-all",
              "--member", "201")  # fmt: skip
    return runner


def test_create_with_groups_list_and_agents_command(centrex: Centrex) -> None:
    made = centrex.ok("campaign", "create", "--tenant", A, "--name", "Spring", "--method",
                      "predictive", "--group", "800", "--no-legal-rules")  # fmt: skip
    assert (made["agents"], made["groups"], made["tenant"]) == ([], ["800"], A)
    listed = centrex.ok("campaign", "list", "--tenant", A)["items"]
    assert [(c["name"], c["agents"], c["groups"]) for c in listed] == [("Spring", [], ["800"])]
    explained = centrex.ok("campaign", "explain", "--tenant", A, "--name", "Spring")
    assert (explained["agents"], explained["groups"]) == (["101", "102"], ["800"])
    # a member added to the queue later is an agent of the campaign at once
    centrex.ok("queue", "update", "--tenant", A, "--number", "800", "--member", "101",
               "--member", "102", "--member", "103")  # fmt: skip
    explained = centrex.ok("campaign", "explain", "--tenant", A, "--name", "Spring")
    assert explained["agents"] == ["101", "102", "103"]
    assert centrex.ok("campaign", "start", "--tenant", A, "--name", "Spring")["status"] == "running"
    both = centrex.ok("campaign", "agents", "--tenant", A, "--name", "Spring", "--agent", "103",
                      "--group", "800")  # fmt: skip
    assert (both["agents"], both["groups"]) == (["103"], ["800"])
    only = centrex.ok("campaign", "agents", "--tenant", A, "--name", "Spring", "--agent", "102")
    assert (only["agents"], only["groups"]) == (["102"], [])  # the command sets both lists
    cleared = centrex.ok("campaign", "agents", "--tenant", A, "--name", "Spring", "--clear")
    assert (cleared["agents"], cleared["groups"]) == ([], [])
    explained = centrex.ok("campaign", "explain", "--tenant", A, "--name", "Spring")
    assert explained["agents"] == []
    assert any(h.startswith("no agents") for h in explained["hints"])


def test_bad_groups_are_refused_and_nothing_is_written(centrex: Centrex) -> None:
    base = ("campaign", "create", "--tenant", A, "--name", "X", "--method", "ratio")
    assert "queue 900 is not a queue of a.example.com" in centrex.fails(*base, "--group", "900")
    assert "queue 801 is not a queue of a.example.com" in centrex.fails(*base, "--group", "801")
    assert centrex.ok("campaign", "list", "--tenant", A)["total"] == 0
    centrex.ok(*base, "--agent", "101", "--group", "800")
    agents = ("campaign", "agents", "--tenant", A, "--name", "X")
    assert "is not a queue of a.example.com" in centrex.fails(*agents, "--agent", "102",
                                                              "--group", "900")  # fmt: skip
    shown = centrex.ok("campaign", "list", "--tenant", A, "--name", "X")["items"][0]
    assert (shown["agents"], shown["groups"]) == (["101"], ["800"])  # nothing half-written
    assert "give --agent and/or --group" in centrex.fails(*agents)
    assert "give --agent and/or --group" in centrex.fails(*agents, "--group", "800", "--clear")
    assert "not found" in centrex.fails("campaign", "agents", "--tenant", B, "--name", "X",
                                        "--group", "900")  # fmt: skip
    centrex.ok("campaign", "agents", "--tenant", A, "--name", "X", "--clear")
    assert "has no agents" in centrex.fails("campaign", "start", "--tenant", A, "--name", "X")

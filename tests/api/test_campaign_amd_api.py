"""The campaigns' answering-machine detection switch (`amd`, off by default) on create, read,
PATCH and list over the API, and in the CLI (`--amd/--no-amd`), SQLite and PostgreSQL; a
non-boolean is a 422 naming the field, and the dialer reads it from the row each tick."""

from __future__ import annotations

from tests.api.conftest import World
from tests.api.test_campaigns_api import C, _ok
from tests.cli.test_cli_admin import Centrex


async def test_amd_on_create_read_and_patch(world: World) -> None:
    plain = await _ok(world, "POST", C, status=201, json={"name": "Plain", "method": "preview"})
    assert plain["amd"] is False
    made = await _ok(world, "POST", C, status=201,
                     json={"name": "Robots", "method": "predictive", "amd": True})  # fmt: skip
    assert made["amd"] is True
    assert (await _ok(world, "GET", f"{C}/{made['id']}"))["amd"] is True
    patched = await _ok(world, "PATCH", f"{C}/{made['id']}", json={"amd": False})
    assert patched["amd"] is False
    bad = await _ok(world, "PATCH", f"{C}/{made['id']}", status=422, json={"amd": "sometimes"})
    assert "amd" in str(bad)
    listed = await _ok(world, "GET", C)
    assert {c["name"]: c["amd"] for c in listed["items"]} == {"Plain": False, "Robots": False}


def test_amd_in_the_cli(cli_env: dict[str, str]) -> None:
    centrex = Centrex(cli_env)
    domain = "amd.example.com"
    centrex.ok("tenant", "create", "--name", domain, "--domain", domain, "--country", "FR",
               "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
    made = centrex.ok("campaign", "create", "--tenant", domain, "--name", "Robots", "--method",
                      "predictive", "--amd")  # fmt: skip
    assert made["amd"] is True
    off = centrex.ok("campaign", "update", "--tenant", domain, "--name", "Robots", "--no-amd")
    assert off["amd"] is False
    plain = centrex.ok("campaign", "create", "--tenant", domain, "--name", "Plain", "--method",
                       "preview")  # fmt: skip
    assert plain["amd"] is False

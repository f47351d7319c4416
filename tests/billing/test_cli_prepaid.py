"""`centrex billing prepaid|top-up|balance` on a temporary SQLite database: the commands the
lazy table attaches to the `billing` group, amounts as decimal strings, bad input refused."""

from __future__ import annotations

import json
from typing import Any

from click.testing import Result

from centrex.cli import load_command

from .conftest import Runner

load_command("billing")  # attaches the prepaid commands (the table's extras) to the group


def _ok(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_prepaid_top_up_and_balance(run: Runner) -> None:
    _ok(run("tenant", "create", "--name", "Acme", "--domain", "acme.example",
            "--extension-digits", "3", "--max-calls", "10", "--currency", "EUR", "--json"))  # fmt: skip
    on = _ok(run("billing", "prepaid", "--tenant", "acme.example", "--on", "--json"))
    assert on == {"tenant": "acme.example", "prepaid": True}
    topped = _ok(run("billing", "top-up", "--tenant", "acme.example", "--amount", "10.00",
                     "--reference", "wire 42", "--json"))  # fmt: skip
    assert topped == {"balance": "10.0000"}
    again = _ok(run("billing", "top-up", "--tenant", "acme.example", "--amount", "0.5", "--json"))
    assert again == {"balance": "10.5000"}
    shown = _ok(run("billing", "balance", "--tenant", "acme.example", "--json"))
    assert shown == {"balance": "10.5000", "reserved": "0.0000", "currency": "EUR"}
    off = _ok(run("billing", "prepaid", "--tenant", "acme.example", "--off", "--json"))
    assert off["prepaid"] is False
    for bad in ("-5", "ten", "0"):
        refused = run("billing", "top-up", "--tenant", "acme.example", "--amount", bad, "--json")
        assert refused.exit_code != 0
        assert "amount" in refused.output
    unknown = run("billing", "balance", "--tenant", "nobody.example", "--json")
    assert unknown.exit_code != 0
    no_switch = run("billing", "prepaid", "--tenant", "acme.example")
    assert no_switch.exit_code != 0
    assert _ok(run("billing", "balance", "--tenant", "acme.example", "--json"))["balance"] == (
        "10.5000"
    )

"""`centrex extension update --srtp optional|required|off` (issue 14 item 3): stored and shown
in the extension's view and list, another tenant's extension not found (nothing written), a bad
value refused by the option before anything runs."""

from __future__ import annotations

import pytest

from tests.cli.test_cli_admin import Centrex

A = "a.srtp.test"
B = "b.srtp.test"


@pytest.fixture
def centrex(cli_env: dict[str, str]) -> Centrex:
    runner = Centrex(cli_env)
    for domain, numbers in ((A, ("101", "102")), (B, ("201",))):
        runner.ok("tenant", "create", "--name", domain, "--domain", domain,
                  "--extension-digits", "3", "--max-calls", "4")  # fmt: skip
        for number in numbers:
            runner.ok("extension", "create", "--tenant", domain, "--number", number)
    return runner


def modes(centrex: Centrex, domain: str) -> dict[str, str]:
    listed = centrex.ok("extension", "list", "--tenant", domain)["items"]
    return {item["number"]: item["srtp"] for item in listed}


def test_srtp_policy_is_set_and_shown(centrex: Centrex) -> None:
    assert modes(centrex, A) == {"101": "optional", "102": "optional"}
    shown = centrex.ok("extension", "update", "--tenant", A, "--number", "102", "--srtp",
                       "required")  # fmt: skip
    assert shown["srtp"] == "required"
    kept = centrex.ok("extension", "update", "--tenant", A, "--number", "102", "--name", "Sec")
    assert kept["srtp"] == "required"  # an update without the option leaves it
    centrex.ok("extension", "update", "--tenant", A, "--number", "101", "--srtp", "off")
    assert modes(centrex, A) == {"101": "off", "102": "required"}


def test_another_tenants_extension_is_not_found(centrex: Centrex) -> None:
    message = centrex.fails("extension", "update", "--tenant", B, "--number", "102",
                            "--srtp", "required")  # fmt: skip
    assert "not found" in message
    assert modes(centrex, A) == {"101": "optional", "102": "optional"}
    assert modes(centrex, B) == {"201": "optional"}


def test_a_bad_mode_is_refused(centrex: Centrex) -> None:
    refused = centrex.run("extension", "update", "--tenant", A, "--number", "101", "--srtp",
                          "mandatory")  # fmt: skip
    assert refused.exit_code == 2
    assert "mandatory" in refused.output
    assert modes(centrex, A)["101"] == "optional"

"""A running predictive campaign follows its postal-code focus and a batch rollback at once,
without a restart (issue 15: "rollback of a batch, refocus on a postal code takes effect
without a restart"), against a real `centrex serve` and a sipp carrier that is busy for every
call (each lead is dialled once, then waits for its retry delay).

1. Focused on "13" (Marseille): only the Marseille batch is dialled.
2. Refocused on "75" while running: the Paris batch is dialled next.
3. A Lyon batch imported meanwhile is rolled back while still out of focus; the focus is then
   cleared: nothing more is dialled — the Lyon leads are gone, the others wait for their retry.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from tests.e2e.sip_capture import SipCapture
from tests.e2e.test_calls import ACME, PRIMARY_HOST, phone, registered, sipp, wait_process
from tests.e2e.test_dialer import (
    _REPLY,
    DialerPbx,
    _window,
    pbx,  # noqa: F401 - the fixture
    user_of,
    wait_log,
)
from tests.helpers import free_port

pytestmark = pytest.mark.e2e

PARIS = [(f"+3314268533{i}", f"Paris {i}", f"7500{i}") for i in range(1, 4)]
MARSEILLE = [(f"+3349100003{i}", f"Marseille {i}", f"1300{i}") for i in range(1, 4)]
LYON = [(f"+3347200003{i}", f"Lyon {i}", f"6900{i}") for i in range(1, 4)]

BUSY_CARRIER = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="carrier: every line busy">
  <recv request="INVITE"/>
  <send><![CDATA[
{_REPLY.format(status="486 Busy Here")}Content-Length: 0

  ]]></send>
  <recv request="ACK"/>
</scenario>
"""


def batch_file(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["number", "name", "postal_code"])
        writer.writerows(rows)
    return path


def dialled(wire: SipCapture, port: int) -> list[str]:
    return sorted(user_of(d.first_line) for d in wire.requests("INVITE", to_port=port))


def test_refocus_and_rollback_apply_to_a_running_campaign(
    pbx: DialerPbx,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    pbx.cli("campaign", "create", "--tenant", ACME, "--name", "Focus", "--method", "predictive",
            "--window", _window(-1, 3), "--no-legal-rules")  # fmt: skip
    pbx.cli("campaign", "agents", "--tenant", ACME, "--name", "Focus", "--agent", "101",
            "--agent", "102")  # fmt: skip
    for name, rows in (("paris", PARIS), ("marseille", MARSEILLE)):
        got = pbx.cli("lead", "import", str(batch_file(tmp_path / f"{name}.csv", rows)),
                      "--tenant", ACME, "--campaign", "Focus")  # fmt: skip
        assert got["imported"] == 3, got
    focus = pbx.cli("campaign", "focus", "--tenant", ACME, "--name", "Focus",
                    "--postal-code", "13")  # fmt: skip
    assert focus["postal_focus"] == ["13"]
    with (
        phone(pbx, tmp_path, "101", ACME, 700, answer=True) as one,
        phone(pbx, tmp_path, "102", ACME, 800, answer=True) as two,
    ):
        registered(one)
        registered(two)
        with SipCapture(frozenset({one.sip_port, two.sip_port, pbx.primary_port})) as wire:
            carrier = sipp(
                ["-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
                 "-mp", str(free_port(host=PRIMARY_HOST)), "-m", "6"],
                tmp_path / "carrier", BUSY_CARRIER,
            )  # fmt: skip
            time.sleep(0.5)
            pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Focus")
            assert wait_log(pbx, r"campaign Focus: .*: busy \(lead now retry\)", count=3,
                            timeout=60), pbx.log()[-4000:]  # fmt: skip
            time.sleep(2)  # a tick or two more: nothing outside the focus
            assert dialled(wire, pbx.primary_port) == sorted(n for n, _, _ in MARSEILLE)
            lyon = pbx.cli("lead", "import", str(batch_file(tmp_path / "lyon.csv", LYON)),
                           "--tenant", ACME, "--campaign", "Focus")  # fmt: skip
            pbx.cli("campaign", "focus", "--tenant", ACME, "--name", "Focus",
                    "--postal-code", "75")  # fmt: skip
            assert wait_log(pbx, r"campaign Focus: .*: busy \(lead now retry\)", count=6,
                            timeout=60), pbx.log()[-4000:]  # fmt: skip
            rolled = pbx.cli("lead", "rollback", "--tenant", ACME, "--batch", str(lyon["batch"]))
            cleared = pbx.cli("campaign", "focus", "--tenant", ACME, "--name", "Focus",
                              "--clear")  # fmt: skip
            assert cleared["postal_focus"] == []
            time.sleep(4)  # several ticks with no focus: the Lyon leads would go now
            assert wait_process(carrier, timeout=30) == 0, pbx.log()[-4000:]
            calls = dialled(wire, pbx.primary_port)
    assert calls == sorted(n for n, _, _ in MARSEILLE + PARIS)  # never a Lyon lead
    assert (rolled["leads"], rolled["attempts"]) == (3, 0), rolled
    leads = pbx.cli("lead", "search", "--tenant", ACME, "--campaign", "Focus")["items"]
    assert sorted(lead["number"] for lead in leads) == sorted(n for n, _, _ in MARSEILLE + PARIS)
    assert {lead["status"] for lead in leads} == {"retry"}

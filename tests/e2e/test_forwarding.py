"""Forwarding, DND and call waiting through a real `centrex serve` (issue 12 item 2): baresip
phones configured with the CLI, audio of the remaining parties checked by FFT, and a sipp
carrier that must receive an outside forward with its Diversion header (RFC 5806).

The server of `test_calls.CallPbx` (its own free ports and RTP range, a module of its own): ACME
has 101-103 and the DID +41215550100 routed to 102, two trunks (primary 127.0.0.51, backup
127.0.0.52). Every test restores the forwarding it set, so the order of the tests is free.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_calls import (
    ACME,
    PRIMARY_HOST,
    CallPbx,
    established,
    phone,
    registered,
    sipp,
    wait_process,
)
from tests.peers.phone import Phone, dominant_frequency

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("forwarding"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def clean_forwarding(pbx: CallPbx) -> Iterator[None]:
    yield
    for number in ("101", "102", "103"):
        pbx.cli("extension", "forward", "--tenant", ACME, "--number", number, "--clear", "all")
        pbx.cli("extension", "dnd", "--tenant", ACME, "--number", number, "--off")
        pbx.cli("extension", "update", "--tenant", ACME, "--number", number,
                "--call-waiting", "on")  # fmt: skip


def talk_then_hang_up(caller: Phone, callee: Phone, seconds: float = 3.0) -> None:
    established(caller, callee)
    time.sleep(seconds)
    caller.command("hangup")
    assert callee.wait_hung_up(timeout=15), callee.log()


def heard(p: Phone) -> float:
    """The dominant frequency of what `p` heard in its last call."""
    frequency, level = dominant_frequency(p.recordings()[-1])
    assert level > 1000, (p.user, frequency, level)
    return frequency


def test_forward_always_to_an_extension_then_cleared(
    pbx: CallPbx, tmp_path: Path, clean_forwarding: None
) -> None:
    shown = pbx.cli("extension", "forward", "--tenant", ACME, "--number", "102",
                    "--always", "103")  # fmt: skip
    assert shown["forwarding"]["always"] == "103", shown
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as forwarded,
        phone(pbx, tmp_path, "103", ACME, 1300, answer=True) as target,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        for p in (forwarded, target, caller):
            registered(p)
        caller.command("dial", f"sip:102@{ACME}")
        talk_then_hang_up(caller, target)
        assert "Incoming call" not in forwarded.log(), "forward always: 102 must not ring"
        assert abs(heard(caller) - 1300) < 20
        assert abs(heard(target) - 1000) < 20
        # cleared: 102 rings itself again
        pbx.cli("extension", "forward", "--tenant", ACME, "--number", "102", "--clear", "always")
        caller.command("dial", f"sip:102@{ACME}")
        talk_then_hang_up(caller, forwarded)
        assert abs(heard(caller) - 1500) < 20
    cdr = pbx.wait_cdr(ACME, 2)[1]  # newest first: [1] is the forwarded call
    assert (cdr["caller"], cdr["disposition"]) == ("101", "answered"), cdr


def test_dnd_gives_busy_then_the_busy_forward(
    pbx: CallPbx, tmp_path: Path, clean_forwarding: None
) -> None:
    pbx.cli("extension", "dnd", "--tenant", ACME, "--number", "102", "--on")
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as quiet,
        phone(pbx, tmp_path, "103", ACME, 1300, answer=True) as target,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        for p in (quiet, target, caller):
            registered(p)
        # DND without a busy forward: the voicemail app takes the call (here it tells the
        # caller 102 has no mailbox), 102's phone stays quiet
        caller.command("dial", f"sip:102@{ACME}")
        assert caller.wait_log("Call established", timeout=15), caller.log()
        assert caller.wait_hung_up(timeout=30), caller.log()
        # DND is busy treatment: a busy forward now takes the call
        pbx.cli("extension", "forward", "--tenant", ACME, "--number", "102", "--busy", "103")
        caller.command("dial", f"sip:102@{ACME}")
        talk_then_hang_up(caller, target)
        assert "Incoming call" not in quiet.log(), "an extension in DND never rings"
        assert abs(heard(target) - 1000) < 20


def test_no_answer_forward_after_its_seconds(
    pbx: CallPbx, tmp_path: Path, clean_forwarding: None
) -> None:
    pbx.cli("extension", "forward", "--tenant", ACME, "--number", "102", "--no-answer", "103",
            "--after", "3")  # fmt: skip
    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as unanswered,  # rings, nobody picks up
        phone(pbx, tmp_path, "103", ACME, 1300, answer=True) as target,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        for p in (unanswered, target, caller):
            registered(p)
        caller.command("dial", f"sip:102@{ACME}")
        assert unanswered.wait_log("Incoming call", timeout=15), unanswered.log()
        # 103 rings only once 102 has rung unanswered (the exact 3 s deadline is checked on
        # the ManualClock in tests/calls/test_forwarding.py)
        assert "Incoming call" not in target.log()
        assert target.wait_log("Call established", timeout=20), target.log()
        assert unanswered.wait_hung_up(timeout=15), unanswered.log()  # its ringing cancelled
        assert "Call established" not in unanswered.log()
        talk_then_hang_up(caller, target, seconds=2.0)
        assert abs(heard(caller) - 1300) < 20


def test_call_waiting_on_rings_a_busy_extension_off_gives_busy(
    pbx: CallPbx, tmp_path: Path, clean_forwarding: None
) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as busy,
        phone(pbx, tmp_path, "101", ACME, 1000) as first,
        phone(pbx, tmp_path, "103", ACME, 1300) as second,
    ):
        for p in (busy, first, second):
            registered(p)
        first.command("dial", f"sip:102@{ACME}")
        assert busy.wait_log("Incoming call", timeout=15), busy.log()
        busy.command("accept")
        established(first, busy)
        # call waiting on (the default): the second call reaches 102's phone while it talks
        second.command("dial", f"sip:102@{ACME}")
        assert busy.log().count("Incoming call") <= 1
        deadline = time.monotonic() + 15
        while busy.log().count("Incoming call") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert busy.log().count("Incoming call") == 2, busy.log()
        second.command("hangup")
        time.sleep(1)
        # call waiting off: a second call gets busy treatment (no busy forward: voicemail)
        pbx.cli("extension", "update", "--tenant", ACME, "--number", "102",
                "--call-waiting", "off")  # fmt: skip
        second.command("dial", f"sip:102@{ACME}")
        assert second.wait_log("Call established", timeout=15), second.log()
        assert second.wait_hung_up(timeout=30), second.log()
        assert busy.log().count("Incoming call") == 2, "call waiting off: 102 must not ring"
        first.command("hangup")
        assert busy.wait_hung_up(timeout=15), busy.log()


def test_forward_always_outside_goes_to_the_carrier_with_diversion(
    pbx: CallPbx, tmp_path: Path, clean_forwarding: None
) -> None:
    pbx.cli("extension", "forward", "--tenant", ACME, "--number", "102",
            "--always", "+41446681800")  # fmt: skip
    carrier_dir = tmp_path / "carrier"
    carrier = sipp(["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port), "-m", "1",
                    "-trace_msg"], carrier_dir)  # fmt: skip
    time.sleep(0.5)
    with phone(pbx, tmp_path, "101", ACME, 1000) as caller:
        registered(caller)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller)
        time.sleep(2)
        caller.command("hangup")
        assert caller.wait_log("terminated", timeout=15), caller.log()
    assert wait_process(carrier) == 0, "the carrier did not complete the forwarded call"
    messages = "\n".join(p.read_text(errors="replace") for p in carrier_dir.glob("*messages.log"))
    invite = messages[messages.index("INVITE sip:") :]
    invite = invite[: invite.index("\n\n")] if "\n\n" in invite else invite
    assert re.search(r"^INVITE sip:\+?41446681800@", invite, re.M), invite
    diversion = re.search(r"^Diversion:\s*(.+)$", invite, re.M | re.I)
    assert diversion is not None, invite
    # the forwarding extension named by a number ACME owns (its DID), reason unconditional
    assert "41215550100" in diversion.group(1), diversion.group(1)
    assert "reason=unconditional" in diversion.group(1), diversion.group(1)
    # the leg that costs: billed as the tenant's outbound call to the outside number
    cdr = pbx.wait_cdr(ACME, 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["direction"], cdr["disposition"]) == (
        "101",
        "+41446681800",
        "outbound",
        "answered",
    ), cdr
    trunks = {t["id"]: t["name"] for t in pbx.cli("trunk", "list")["items"]}
    assert trunks[cdr["trunk_id"]] == "primary"

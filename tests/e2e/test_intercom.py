"""Intercom `*80N` through a real `centrex serve` with baresip phones (issue 12 item 9): the
INVITE reaching 102's socket (captured on `lo`) carries both auto-answer requests
(`Call-Info: answer-after=0`, `Alert-Info: info=alert-autoanswer`), 102 answers and audio
flows both ways (FFT of what each recorded); `*80201` dialled in ACME, where 201 is only an
extension of the other tenant, fails and SMALL's registered 201 never receives an INVITE."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.sip_capture import SipCapture
from tests.e2e.test_calls import ACME, SMALL, CallPbx, established, phone, registered
from tests.peers.phone import Phone, dominant_frequency

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("intercom"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def ended(p: Phone) -> int:
    log = p.log()
    return log.count("terminated") + log.count("session closed")


def test_intercom_invite_asks_for_auto_answer_and_audio_flows(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(callee)
        registered(caller)
        with SipCapture(frozenset({callee.sip_port})) as wire:
            caller.command("dial", f"sip:*80102@{ACME}")
            established(caller, callee)
            time.sleep(4)
            caller.command("hangup")
            assert callee.wait_log("terminated", timeout=15), callee.log()
        invites = [d for d in wire.requests("INVITE") if d.destination[1] == callee.sip_port]
        assert invites, [d.first_line for d in wire.datagrams]
        assert invites[0].header("Call-Info") == f"<sip:{ACME}>;answer-after=0"
        alert = invites[0].header("Alert-Info") or ""
        assert "info=alert-autoanswer" in alert
    heard_by_callee = dominant_frequency(callee.recordings()[-1])
    heard_by_caller = dominant_frequency(caller.recordings()[-1])
    assert abs(heard_by_callee[0] - 1000) < 20, heard_by_callee
    assert abs(heard_by_caller[0] - 1500) < 20, heard_by_caller
    assert heard_by_callee[1] > 1000
    assert heard_by_caller[1] > 1000


def test_intercom_to_another_tenants_extension_never_reaches_it(
    pbx: CallPbx, tmp_path: Path
) -> None:
    with (
        phone(pbx, tmp_path, "201", SMALL, 1500, answer=True) as foreign,
        phone(pbx, tmp_path, "101", ACME, 1000) as caller,
    ):
        registered(foreign)
        registered(caller)
        with SipCapture(frozenset({foreign.sip_port})) as wire:
            before = ended(caller)
            caller.command("dial", f"sip:*80201@{ACME}")
            deadline = time.monotonic() + 30
            while ended(caller) == before and time.monotonic() < deadline:
                time.sleep(0.1)
            assert ended(caller) > before, caller.log()[-2000:]
            time.sleep(1)  # a stray INVITE would have arrived by now; the assert is on absence
        assert [d for d in wire.requests("INVITE") if d.destination[1] == foreign.sip_port] == []
        assert "Call established" not in foreign.log()

"""Park time-out with real phones (issue 12): a call parked and never retrieved rings its parker
back; answered, the parker talks with the parked party again; not answered, the fallback is
the parker's voicemail (the parked party is connected to the mailbox, the CDR's callee is the
parker).

Both cases run at once, one per tenant of test_calls.py's `CallPbx` (so the one wait for the
time-out serves both, and each tenant's `701` holds its own call): in ACME baresip 101 calls
102, 102 parks it (blind transfer to 700) and answers the ring-back; in SMALL 201 calls 202,
202 parks it and lets the ring-back ring out.

Wall clock: the park feature's time-out (`park.DEFAULT_TIMEOUT`, 60 s) and ring-back
(`DEFAULT_RING_BACK`, 20 s) are not configurable from the settings yet (`standard.py` builds
`CallPark()` with its defaults), so this test lasts about 90 s; it waits on the phones' events
(the ring-back's INVITE, the BYE) with generous deadlines rather than sleeping. The exact
deadlines are checked on a ManualClock in tests/calls/test_park.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from centrex.calls.features.park import DEFAULT_RING_BACK, DEFAULT_TIMEOUT
from tests.e2e.feature_helpers import wait_count
from tests.e2e.test_calls import (
    ACME,
    SMALL,
    CallPbx,
    established,
    is_tone,
    phone,
    registered,
    spectrum_windows,
)
from tests.peers.rtp_capture import RtpCapture

pytestmark = pytest.mark.e2e

SLACK = 30.0  # the deadlines' margin on a loaded 2-core machine


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("park-timeout"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_an_unretrieved_call_rings_the_parker_back_then_falls_back(
    pbx: CallPbx, tmp_path: Path
) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1500) as parker,
        phone(pbx, tmp_path, "101", ACME, 1000) as parked,
        phone(pbx, tmp_path, "202", SMALL, 700) as absent_parker,
        phone(pbx, tmp_path, "201", SMALL, 1200) as dropped,
    ):
        for p in (parker, parked, absent_parker, dropped):
            registered(p)
        for caller, callee, domain in ((parked, parker, ACME), (dropped, absent_parker, SMALL)):
            caller.command("dial", f"sip:{callee.user}@{domain}")
            assert callee.wait_log("Incoming call", timeout=20), callee.log()
            callee.command("accept")
            established(caller, callee)
        time.sleep(1)
        for who, domain in ((parker, ACME), (absent_parker, SMALL)):
            who.command("transfer", f"sip:700@{domain}")
        for who in (parker, absent_parker):
            assert who.wait_hung_up(timeout=30), who.log()  # NOTIFY 200 (parked in 701), BYE
        assert "parked" in pbx.log()
        assert pbx.log().count("in 701 until") == 2, pbx.log()[-3000:]  # each tenant's own

        # the time-out: each parker's phone rings again (its second incoming call)
        ring_back = DEFAULT_TIMEOUT + SLACK
        assert wait_count(parker, "Incoming call", 2, timeout=ring_back), parker.log()[-2000:]
        assert wait_count(absent_parker, "Incoming call", 2, timeout=SLACK), absent_parker.log()
        assert "terminated" not in parked.log(), parked.log()[-2000:]  # waited in the slot
        parker.command("accept")
        assert wait_count(parker, "Call established", 2, timeout=20), parker.log()[-2000:]
        with (
            RtpCapture(*parked.rtp_ports) as to_parked,
            RtpCapture(*parker.rtp_ports) as to_parker,
        ):
            time.sleep(4)  # the parker and its call talk again
        parked.command("hangup")
        assert wait_count(parker, "terminated", 2, timeout=20), parker.log()[-2000:]

        # nobody takes SMALL's ring-back: the fallback is 202's voicemail
        deadline = time.monotonic() + DEFAULT_RING_BACK + SLACK
        while "to the voicemail of 202" not in pbx.log() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "to the voicemail of 202" in pbx.log(), pbx.log()[-3000:]
        assert "Call established" not in absent_parker.log().split("Incoming call")[-1]
        assert "terminated" not in dropped.log(), dropped.log()[-2000:]  # in the mailbox now
        time.sleep(3)  # a short message
        dropped.command("hangup")
        assert dropped.wait_hung_up(timeout=20), dropped.log()[-2000:]

    heard_by_parked = spectrum_windows(to_parked.audio())
    heard_by_parker = spectrum_windows(to_parker.audio())
    assert sum(is_tone(w, 1500) for w in heard_by_parked) >= 2, heard_by_parked
    assert sum(is_tone(w, 1000) for w in heard_by_parker) >= 2, heard_by_parker

    acme = next(c for c in pbx.wait_cdr(ACME, 1) if c["caller"] == "101")
    assert (acme["callee"], acme["disposition"]) == ("102", "answered"), acme
    small = next(c for c in pbx.wait_cdr(SMALL, 1) if c["caller"] == "201")
    assert (small["callee"], small["disposition"]) == ("202", "answered"), small

"""Three-way calling `*3` + number + `#` through a real `centrex serve` with baresip phones
(issue 13 item 3): 101 (1000 Hz) calls 102 (1500 Hz), presses `*3103#` (RFC 4733, baresip
`sndcode`), 103 (1800 Hz, auto-answer) is rung and answers, and all three hear the two others
and not themselves (FFT of what each recorded, in the seconds all three were connected); then
the initiator hangs up and 102 and 103 still hear each other (and no more 1000 Hz); 102's
hang-up ends 103's call. A second test: the third party hangs up first and 101 and 102 are
back in a plain call, still hearing each other."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.e2e.test_calls import (
    ACME,
    PRIMARY_HOST,
    SMALL,
    CallPbx,
    established,
    phone,
    registered,
    sipp,
    wait_process,
)
from tests.peers.phone import Phone, read_recording

pytestmark = pytest.mark.e2e

TONES = {"101": 1000.0, "102": 1500.0, "103": 1800.0}


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("three-way"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def levels(data: np.ndarray, start: float, end: float) -> dict[str, float]:
    """Each party's tone level (spectral magnitude within ±10 Hz relative to the loudest
    bin) and the RMS in the seconds [start, end) of a recording."""
    chunk = data[int(start * 8000) : int(end * 8000)]
    assert len(chunk) >= 4000, (start, end, len(data))
    spectrum = np.abs(np.fft.rfft(chunk))
    bins = np.fft.rfftfreq(len(chunk), 1 / 8000)
    out = {}
    for number, hz in TONES.items():
        out[number] = float(spectrum[(bins > hz - 10) & (bins < hz + 10)].max() / spectrum.max())
    out["rms"] = float(np.sqrt(np.mean(chunk**2)))
    return out


def hears(heard: dict[str, float], *numbers: str) -> None:
    """`numbers` are clearly in it (each within 10 dB of the loudest), everyone else is not."""
    assert heard["rms"] > 500, heard
    for number in TONES:
        if number in numbers:
            assert heard[number] > 0.3, (number, heard)
        else:
            assert heard[number] < 0.05, (number, heard)


def dial_keys(p: Phone, keys: str) -> None:
    for key in keys:
        p.command("sndcode", key)
        time.sleep(0.3)


def test_star_three_adds_a_third_and_the_initiator_can_leave(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        phone(pbx, tmp_path, "103", ACME, TONES["103"], answer=True) as third,
        phone(pbx, tmp_path, "102", ACME, TONES["102"], answer=True) as callee,
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as caller,
    ):
        for p in (third, callee, caller):
            registered(p)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, callee)
        started = time.monotonic()
        time.sleep(1)
        dial_keys(caller, "*3103#")
        established(third)
        merged = time.monotonic() - started
        time.sleep(4)
        caller.command("hangup")
        left = time.monotonic() - started
        assert caller.wait_hung_up(), caller.log()
        time.sleep(4)
        assert "terminated" not in callee.log(), callee.log()[-1500:]  # 102 stays...
        assert "terminated" not in third.log(), third.log()[-1500:]  # ...and so does 103
        ended = time.monotonic() - started
        callee.command("hangup")
        assert third.wait_hung_up(), third.log()  # the last of the first call gone: 103 too
    joined = merged  # 103's recording starts when it answered, at the merge
    heard_101 = read_recording(caller.recordings()[-1])
    heard_102 = read_recording(callee.recordings()[-1])
    heard_103 = read_recording(third.recordings()[-1])
    # before the merge 101 and 102 only hear each other
    hears(levels(heard_102, 0.2, merged - 1.5), "101")
    # all three connected: each hears the two others, never itself
    hears(levels(heard_101, merged + 1, left - 0.5), "102", "103")
    hears(levels(heard_102, merged + 1, left - 0.5), "101", "103")
    hears(levels(heard_103, 1, left - joined - 0.5), "101", "102")
    # the initiator left: 102 and 103 still hear each other
    hears(levels(heard_102, left + 1, ended - 0.5), "103")
    hears(levels(heard_103, left - joined + 1, ended - joined - 0.5), "102")
    cdrs = pbx.wait_cdr(ACME, 2)
    pairs = {(c["caller"], c["callee"]) for c in cdrs[:2]}
    assert pairs == {("101", "102"), ("101", "103")}, cdrs[:2]


def test_the_third_party_leaving_puts_the_two_back_together(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        phone(pbx, tmp_path, "103", ACME, TONES["103"], answer=True) as third,
        phone(pbx, tmp_path, "102", ACME, TONES["102"], answer=True) as callee,
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as caller,
    ):
        for p in (third, callee, caller):
            registered(p)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, callee)
        started = time.monotonic()
        time.sleep(1)
        dial_keys(caller, "*3103#")
        established(third)
        merged = time.monotonic() - started
        time.sleep(3)
        third.command("hangup")
        assert third.wait_hung_up(), third.log()
        left = time.monotonic() - started
        time.sleep(4)
        assert "terminated" not in caller.log(), caller.log()[-1500:]
        ended = time.monotonic() - started
        caller.command("hangup")
        assert callee.wait_hung_up(), callee.log()
    heard_101 = read_recording(caller.recordings()[-1])
    heard_102 = read_recording(callee.recordings()[-1])
    hears(levels(heard_101, merged + 1, left - 0.5), "102", "103")
    hears(levels(heard_101, left + 1, ended - 0.5), "102")
    hears(levels(heard_102, left + 1, ended - 0.5), "101")


def test_a_number_of_another_tenant_or_nobody_is_never_added(pbx: CallPbx, tmp_path: Path) -> None:
    """`*3201#` in ACME (201 is only SMALL's extension) and `*3109#` (no such extension):
    SMALL's registered 201 never rings, and 101 and 102 go on hearing only each other."""
    with (
        phone(pbx, tmp_path, "201", SMALL, TONES["103"], answer=True) as foreign,
        phone(pbx, tmp_path, "102", ACME, TONES["102"], answer=True) as callee,
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as caller,
    ):
        for p in (foreign, callee, caller):
            registered(p)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, callee)
        started = time.monotonic()
        time.sleep(1)
        dial_keys(caller, "*3201#")
        dial_keys(caller, "*3109#")
        time.sleep(3)  # a stray INVITE to 201 would have arrived by now: the assert is on absence
        ended = time.monotonic() - started
        caller.command("hangup")
        assert callee.wait_hung_up(), callee.log()
        assert "Call established" not in foreign.log(), foreign.log()[-1500:]
        assert "incoming call" not in foreign.log().lower(), foreign.log()[-1500:]
    heard_101 = read_recording(caller.recordings()[-1])
    heard_102 = read_recording(callee.recordings()[-1])
    hears(levels(heard_101, 0.5, ended - 0.5), "102")
    hears(levels(heard_102, 0.5, ended - 0.5), "101")
    assert "*3201 refused" in pbx.log() or "*3201 not available" in pbx.log(), pbx.log()[-3000:]


def test_an_outside_number_joins_through_the_trunk(pbx: CallPbx, tmp_path: Path) -> None:
    """`*30446681800#`: the third party is called out through the primary trunk (a sipp
    carrier answering); 101 and 102 keep hearing each other in the room, 101 leaves, 102's
    hang-up ends the carrier's call (it gets BYE: sipp completes its one call)."""
    carrier = sipp(["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port), "-m", "1"],
                   tmp_path / "carrier")  # fmt: skip
    time.sleep(0.5)
    with (
        phone(pbx, tmp_path, "102", ACME, TONES["102"], answer=True) as callee,
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as caller,
    ):
        for p in (callee, caller):
            registered(p)
        caller.command("dial", f"sip:102@{ACME}")
        established(caller, callee)
        started = time.monotonic()
        time.sleep(1)
        dial_keys(caller, "*30446681800#")
        outbound = wait_cdr_of(pbx, "+41446681800")
        assert outbound["direction"] == "outbound", outbound
        time.sleep(3)
        caller.command("hangup")
        assert caller.wait_hung_up(), caller.log()
        left = time.monotonic() - started
        time.sleep(3)
        assert "terminated" not in callee.log(), callee.log()[-1500:]
        ended = time.monotonic() - started
        callee.command("hangup")
        assert callee.wait_hung_up(), callee.log()
    assert wait_process(carrier) == 0, "the carrier's call did not complete (no BYE?)"
    heard_102 = read_recording(callee.recordings()[-1])
    hears(levels(heard_102, left - 2.5, left - 0.5), "101")  # in the room with the carrier
    assert levels(heard_102, left + 1, ended - 0.5)["101"] < 0.05  # 101 is gone
    cdr = pbx.wait_cdr(ACME, 1)
    third = next(c for c in cdr if c["callee"] == "+41446681800")
    assert (third["caller"], third["disposition"]) == ("101", "answered"), third


def wait_cdr_of(pbx: CallPbx, callee: str, timeout: float = 20.0) -> dict[str, Any]:
    """The (open or closed) CDR of the newest call to `callee`."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c for c in pbx.cdrs(ACME) if c["callee"] == callee]
        if found or time.monotonic() > deadline:
            assert found, pbx.log()[-3000:]
            return found[0]
        time.sleep(0.3)

"""Attended transfer started by a real phone (issue 12, REFER with Replaces, RFC 3891): baresip
101 calls baresip 102, which answers, holds 101 and calls baresip 103 (consultation); 102 then
REFERs 101 to 103 naming the consultation dialog in `Replaces`. Centrex bridges 101 with 103
(each hears the other's tone: FFT of the RTP each received after the transfer), ends both of
102's dialogs, and the CDR's legs record the hop (`transferred_by` = 102).

baresip 1.0 has no attended-transfer command, but its `transfer` passes a bracketed URI to
`Refer-To` verbatim, so the test builds `<sip:103@...?Replaces=...>` itself. The Replaces
needs the consultation dialog's tags, which baresip does not print: they are read from the
200 OK on the wire (tests/e2e/sip_capture.py); the Call-ID comes from baresip's `callstat`.

One server per module (the CallPbx of test_calls.py: tenant ACME with 101-103).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.feature_helpers import active_calls, call_id_of_current_call, legs_of
from tests.e2e.sip_capture import SipCapture, answered_dialog
from tests.e2e.test_calls import (
    ACME,
    CallPbx,
    established,
    is_tone,
    phone,
    registered,
    spectrum_windows,
)
from tests.peers.rtp_capture import RtpCapture

pytestmark = pytest.mark.e2e

TONES = {"101": 1000.0, "102": 700.0, "103": 1500.0}


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("attended"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_phone_transfers_attended_and_the_far_parties_talk(pbx: CallPbx, tmp_path: Path) -> None:
    before = len(pbx.wait_cdr(ACME, 0))
    with (
        phone(pbx, tmp_path, "103", ACME, TONES["103"], answer=True) as target,
        phone(pbx, tmp_path, "102", ACME, TONES["102"], answer=True) as transferor,
        phone(pbx, tmp_path, "101", ACME, TONES["101"]) as transferee,
        SipCapture(frozenset({transferor.sip_port})) as wire,
    ):
        for p in (target, transferor, transferee):
            registered(p)
        transferee.command("dial", f"sip:102@{ACME}")
        established(transferee, transferor)
        time.sleep(1)
        transferor.command("hold")
        assert transferee.wait_log("re-INVITE", timeout=15), transferee.log()
        transferor.command("dial", f"sip:103@{ACME}")
        established(target)
        assert transferor.wait_log("Call established: sip:103", timeout=20), transferor.log()
        consultation = call_id_of_current_call(transferor)
        assert wire.wait(lambda w: answered_dialog(w, consultation) is not None)
        dialog = answered_dialog(wire, consultation)
        assert dialog is not None
        _, from_tag, to_tag = dialog
        replaces = urllib.parse.quote(f"{consultation};to-tag={to_tag};from-tag={from_tag}",
                                      safe="")  # fmt: skip
        assert "line 1" in transferor.command("line", "1")  # the call with 101, on hold
        transferor.command("transfer", f"<sip:103@{ACME}?Replaces={replaces}>")
        with (
            RtpCapture(*transferee.rtp_ports) as to_transferee,
            RtpCapture(*target.rtp_ports) as to_target,
        ):
            # 102's both dialogs end: Centrex sends BYE on the consultation and, after the
            # final NOTIFY, on the call with 101 (baresip may send its own BYE first)
            assert wire.wait(lambda w: active_calls(transferor) == 0, timeout=30), transferor.log()[
                -3000:
            ]
            time.sleep(5)  # 101 and 103 talk
        assert "terminated" not in target.log(), target.log()[-2000:]
        assert "terminated" not in transferee.log(), transferee.log()[-2000:]
        transferee.command("hangup")
        assert target.wait_hung_up(timeout=20), target.log()

    refer = wire.requests("REFER")
    assert len(refer) == 1, refer
    assert "Replaces=" in (refer[0].header("Refer-To") or ""), refer[0].text
    frags = [d.text for d in wire.requests("NOTIFY", to_port=transferor.sip_port)]
    assert any(f.rstrip().endswith("SIP/2.0 200 OK") for f in frags), frags
    byes = [d for d in wire.requests("BYE", to_port=transferor.sip_port)]
    assert consultation in {d.header("Call-ID") for d in byes}, [d.text for d in byes]
    assert "transfer failure" not in transferor.log()

    # what each far party received after the transfer, second by second: the other's tone,
    # never the transferor's 700 Hz
    heard_by_transferee = spectrum_windows(to_transferee.audio())
    heard_by_target = spectrum_windows(to_target.audio())
    assert sum(is_tone(w, TONES["103"]) for w in heard_by_transferee) >= 3, heard_by_transferee
    assert sum(is_tone(w, TONES["101"]) for w in heard_by_target) >= 3, heard_by_target
    assert not any(is_tone(w, TONES["102"]) for w in heard_by_transferee + heard_by_target)

    cdrs = pbx.wait_cdr(ACME, before + 2)
    call = next(c for c in cdrs if c["caller"] == "101")
    assert (call["callee"], call["disposition"]) == ("103", "answered"), cdrs
    legs = legs_of(pbx, call["id"])
    hop = [leg for leg in legs if leg["transferred_by"] == "102"]
    assert len(hop) == 1, legs
    assert "103" in hop[0]["peer"], legs
    assert hop[0]["answered_at"] is not None, legs
    assert hop[0]["ended_at"] is not None, legs
    transferred = [leg for leg in legs if leg["hangup_cause"] == "transferred"]
    assert transferred, legs
    assert all("102" in leg["peer"] for leg in transferred), legs

"""SDES-SRTP desk phones through a real `centrex serve` (issue 14 item 3): baresip with
`mediaenc=srtp-mand` (RTP/SAVP + a=crypto) calls a plain-RTP baresip phone and audio crosses
both ways (FFT), while the packets on the SRTP leg really are encrypted (captured on `lo`:
170-byte payloads, 160 of G.711 plus the 10-byte HMAC-SHA1-80 tag, that decode to noise, while
the plain phone receives 160-byte G.711 of the tone); a `required` extension's plain offer gets
488; a `required` callee is offered RTP/SAVP by Centrex and talks SRTP to a plain caller."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.sdes_phones import PortCapture, mod_phone, peak, recording_peak
from tests.e2e.test_calls import ACME, CallPbx, established, registered
from tests.peers.rtp_capture import decode_g711

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("srtp"))
    server.start()
    try:
        # before any phone registers (the directory caches credentials with the policy)
        server.cli("extension", "update", "--tenant", ACME, "--number", "103", "--srtp",
                   "required")  # fmt: skip
        yield server
    finally:
        server.stop()


def audio_packets(capture: PortCapture) -> list[tuple[int, bytes]]:
    return [(pt, payload) for pt, payload in capture.packets if pt in (0, 8)]


def decoded(packets: list[tuple[int, bytes]]) -> np.ndarray:
    parts = [decode_g711(payload[:160], pt) for pt, payload in packets]
    return np.concatenate(parts) if parts else np.zeros(0)


def tone_peak(packets: list[tuple[int, bytes]]) -> tuple[float, float]:
    return peak(decoded(packets), 8000)


def tone_share(packets: list[tuple[int, bytes]], hz: float) -> float:
    """Share of the signal's power within 20 Hz of `hz` (a tone: most; noise: almost none)."""
    samples = decoded(packets)
    power = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / 8000)
    return float(power[np.abs(freqs - hz) < 20].sum() / power.sum())


def test_srtp_phone_talks_to_a_plain_phone(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        mod_phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as plain,
        mod_phone(pbx, tmp_path, "101", ACME, 1000, mediaenc="srtp-mand") as secure,
        PortCapture(*secure.rtp_ports) as to_secure,
        PortCapture(*plain.rtp_ports) as to_plain,
    ):
        registered(plain)
        registered(secure)
        secure.command("dial", f"sip:102@{ACME}")
        established(secure, plain)
        time.sleep(4)
        secure.command("hangup")
        assert plain.wait_hung_up(), plain.log()
    assert "RTP/SAVP" in secure.log() or "srtp" in secure.log().lower(), secure.log()
    # the plain phone got G.711 of the SRTP phone's tone: Centrex decrypted it
    received_plain = audio_packets(to_plain)
    assert len(received_plain) > 100
    assert {len(p) for _pt, p in received_plain} == {160}
    heard_by_plain = tone_peak(received_plain)
    assert abs(heard_by_plain[0] - 1000) < 20, heard_by_plain
    assert heard_by_plain[1] > 1000
    # towards the SRTP phone: same payload types, but 160 bytes of ciphertext + 10 of tag
    received_secure = audio_packets(to_secure)
    assert len(received_secure) > 100
    assert {len(p) for _pt, p in received_secure} == {170}
    assert tone_share(received_secure, 1500) < 0.05  # read as G.711: noise, no tone
    assert tone_share(received_plain, 1000) > 0.5  # the same measure finds the plain tone
    # ... and the SRTP phone decrypted it to the plain phone's tone
    heard_by_secure = recording_peak(secure.recordings()[-1])
    assert abs(heard_by_secure[0] - 1500) < 20, heard_by_secure
    assert heard_by_secure[1] > 1000


def test_a_required_extension_refuses_a_plain_offer(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        mod_phone(pbx, tmp_path, "102", ACME, 1500, answer=True) as callee,
        mod_phone(pbx, tmp_path, "103", ACME, 1000) as caller,
    ):
        registered(callee)
        registered(caller)
        caller.command("dial", f"sip:102@{ACME}")
        assert caller.wait_log("488", timeout=15), caller.log()
        time.sleep(1)
        assert "Call established" not in callee.log()
    log = pbx.log()
    assert "SRTP is required for this extension" in log, log[-3000:]


def test_centrex_offers_srtp_to_a_required_callee(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        mod_phone(pbx, tmp_path, "103", ACME, 1500, answer=True, mediaenc="srtp-mand") as secure,
        mod_phone(pbx, tmp_path, "101", ACME, 1000) as plain,
        PortCapture(*secure.rtp_ports) as to_secure,
    ):
        registered(secure)
        registered(plain)
        plain.command("dial", f"sip:103@{ACME}")
        established(plain, secure)
        time.sleep(4)
        plain.command("hangup")
        assert secure.wait_hung_up(), secure.log()
    received = audio_packets(to_secure)
    assert len(received) > 100
    assert {len(p) for _pt, p in received} == {170}  # SRTP towards the required phone
    heard_by_plain = recording_peak(plain.recordings()[-1])
    assert abs(heard_by_plain[0] - 1500) < 20, heard_by_plain  # decrypted by Centrex
    assert heard_by_plain[1] > 1000

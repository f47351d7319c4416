"""Hold and resume with the browser softphone in Chromium and a baresip phone, both ways.

The browser holds (SIP.js re-INVITE a=sendonly, UDP/TLS/RTP/SAVPF with Opus listed first):
Centrex answers recvonly on the same DTLS association, nothing is relayed to the browser, and
baresip gets the tenant's music on hold instead of the browser's tone, as a phone held by a
phone does (tests/e2e/test_calls.py). Resume: the tones flow both ways again. Then baresip
holds the browser: our re-offer towards it keeps its ICE credentials, fingerprint and DTLS
role, the browser answers recvonly and hears the music; resume brings baresip's tone back.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.test_browser_phone import (  # noqa: F401 - the module's fixtures
    BROWSER_HZ,
    PHONE_HZ,
    BrowserPhonePbx,
    browser,
    default_digest_pbx,
    open_phone,
    pbx,
    remote_peak,
)
from tests.e2e.test_calls import (
    ACME,
    established,
    is_moh,
    is_tone,
    media_counters,
    phone,
    registered,
    spectrum_windows,
)
from tests.peers.rtp_capture import RtpCapture

pytestmark = pytest.mark.e2e


def stats(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("() => window.centrexPhone.stats()")
    return result


def assert_moh_between_tones(heard: list[tuple[float, float]], hz: float) -> None:
    """`hz`, then the default music on hold (never `hz`), then `hz` again."""
    moh = [i for i, w in enumerate(heard) if is_moh(w)]
    assert len(moh) >= 2, heard
    assert any(is_tone(w, hz) for w in heard[: moh[0]]), heard
    assert any(is_tone(w, hz) for w in heard[moh[-1] + 1 :]), heard
    assert not any(is_tone(w, hz) for w in heard[moh[0] : moh[-1] + 1]), heard


def test_hold_and_resume_from_the_browser(
    pbx: BrowserPhonePbx,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    token = pbx.cli("token", "create", "--role", "platform-admin")["token"]
    page = open_phone(browser, pbx, [])
    with (
        phone(pbx, tmp_path, "102", ACME, PHONE_HZ, answer=True) as callee,
        RtpCapture(*callee.rtp_ports) as to_callee,
    ):
        registered(callee)
        page.evaluate("() => window.centrexPhone.call('102')")
        page.wait_for_function("() => window.centrexPhone.state === 'in-call'")
        established(callee)
        time.sleep(2)
        page.evaluate("() => window.centrexPhone.hold()")  # raises if the re-INVITE failed
        assert page.evaluate("() => window.centrexPhone.held") is True
        assert page.evaluate("() => window.centrexPhone.error") == ""
        time.sleep(1.5)  # what was on its way before the hold
        browser_1, held_1 = stats(page), media_counters(pbx, token, ACME)
        time.sleep(2)
        browser_2, held_2 = stats(page), media_counters(pbx, token, ACME)
        # held: nothing relayed to the browser (it said sendonly, we answered recvonly) ...
        assert held_1["a"]["direction"] == "sendonly", held_1
        assert held_2["a"]["packets_out"] == held_1["a"]["packets_out"], (held_1, held_2)
        assert browser_2["packetsReceived"] - browser_1["packetsReceived"] < 5, (
            browser_1,
            browser_2,
        )
        # ... the same DTLS association still carries the browser's RTP in ...
        assert held_2["a"]["packets_in"] > held_1["a"]["packets_in"] + 40, (held_1, held_2)
        # ... and baresip, offered sendonly, answered recvonly and gets music on hold
        assert held_1["b"]["direction"] == "recvonly", held_1
        assert held_2["b"]["packets_out"] > held_1["b"]["packets_out"] + 40, (held_1, held_2)
        page.evaluate("() => window.centrexPhone.resume()")
        assert page.evaluate("() => window.centrexPhone.held") is False
        time.sleep(2.5)
        browser_3, resumed = stats(page), media_counters(pbx, token, ACME)
        assert resumed["a"]["direction"] == "sendrecv", resumed
        assert browser_3["packetsReceived"] > browser_2["packetsReceived"] + 50, browser_3
        heard = remote_peak(page)
        assert abs(heard["hz"] - PHONE_HZ) < 30, heard  # baresip's tone again
        time.sleep(1.5)
        page.evaluate("() => window.centrexPhone.hangup()")
        assert callee.wait_hung_up(timeout=20), callee.log()
        page.wait_for_function("() => window.centrexPhone.state === 'registered'")
    assert_moh_between_tones(spectrum_windows(to_callee.audio()), BROWSER_HZ)
    page.close()


def test_baresip_holds_and_resumes_the_browser(
    pbx: BrowserPhonePbx,  # noqa: F811
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    token = pbx.cli("token", "create", "--role", "platform-admin")["token"]
    page = open_phone(browser, pbx, [])
    with (
        phone(pbx, tmp_path, "103", ACME, PHONE_HZ) as caller,
        RtpCapture(*caller.rtp_ports) as to_caller,
    ):
        registered(caller)
        caller.command("dial", f"sip:104@{ACME}")
        page.wait_for_function("() => window.centrexPhone.state === 'ringing'")
        page.evaluate("() => window.centrexPhone.answer()")
        page.wait_for_function("() => window.centrexPhone.state === 'in-call'")
        established(caller)
        time.sleep(2)
        caller.command("hold")
        time.sleep(2)
        held_1 = media_counters(pbx, token, ACME)
        time.sleep(2)
        held_2 = media_counters(pbx, token, ACME)
        # baresip said sendonly: the browser, offered sendonly on its DTLS association,
        # answered recvonly, sends nothing, and hears music on hold
        assert held_1["a"]["direction"] == "sendonly", held_1
        assert held_1["b"]["direction"] == "recvonly", held_1
        assert held_2["b"]["packets_in"] - held_1["b"]["packets_in"] < 5, (held_1, held_2)
        assert held_2["b"]["packets_out"] > held_1["b"]["packets_out"] + 40, (held_1, held_2)
        assert held_2["a"]["packets_out"] == held_1["a"]["packets_out"], (held_1, held_2)
        music = remote_peak(page)
        assert 150 < music["hz"] < 450, music  # the default MOH's notes, not baresip's tone
        assert page.evaluate("() => window.centrexPhone.state") == "in-call"
        caller.command("resume")
        time.sleep(2.5)
        resumed = media_counters(pbx, token, ACME)
        assert resumed["b"]["direction"] == "sendrecv", resumed
        assert resumed["b"]["packets_in"] > held_2["b"]["packets_in"] + 40, resumed
        heard = remote_peak(page)
        assert abs(heard["hz"] - PHONE_HZ) < 30, heard
        time.sleep(1.5)
        caller.command("hangup")
        page.wait_for_function("() => window.centrexPhone.state === 'registered'")
    # what baresip received: the browser's tone, silence while it held, the tone again
    heard_by_caller = spectrum_windows(to_caller.audio())
    assert any(is_tone(w, BROWSER_HZ) for w in heard_by_caller[:3]), heard_by_caller
    assert any(is_tone(w, BROWSER_HZ) for w in heard_by_caller[-3:]), heard_by_caller
    page.close()

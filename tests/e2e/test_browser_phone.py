"""The browser softphone (/phone) in Chromium against a real `centrex serve`: it registers its
extension over SIP on secure WebSocket with the short-lived credential the page fetched (and
the page's sources never hold it), calls a baresip phone and is called by it, with audio both
ways: baresip's recording holds the browser's tone (FFT), and the browser's inbound RTP
packets and level rise.

The server is tests/e2e/test_calls.py's (tenant ACME 101-103) plus extension 104 owned by a
portal user, Bea; WSS listens on a port of its own with the server's self-signed certificate
(Chromium runs with --ignore-certificate-errors).
"""

from __future__ import annotations

import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, Response, expect, sync_playwright

from centrex.data.db import Database
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.e2e.test_calls import ACME, CallPbx, established, phone, registered
from tests.helpers import free_port
from tests.peers.phone import dominant_frequency
from tests.peers.rtp_capture import RtpCapture
from tests.web.test_portal_browser import ARGS, ARTEFACTS, CHROMIUM

pytestmark = pytest.mark.e2e

BEA = ("bea@acme.calls.test", "bea-portal-pw-1")
BROWSER_HZ = 1000  # the browser's fake microphone
PHONE_HZ = 1500  # baresip's tone
WAIT_MS = 30_000  # generous: two shared cores, SIP.js's modules, ICE and DTLS


class BrowserPhonePbx(CallPbx):
    """The calls test server, SIP over WSS on its own port, and extension 104 owned by Bea."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.wss = free_port()

    async def provision(self) -> None:
        await super().provision()
        database = Database(f"sqlite+aiosqlite:///{self.directory / 'data' / 'centrex.db'}")
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, ACME)
                bea = await user_service.create_user(
                    scope, name="Bea Browser", email=BEA[0], password=BEA[1]
                )
                await extension_service.create_extension(
                    scope, number="104", name="Bea", user_id=bea.id, password="pw-104-secret",
                    voicemail=False,
                )  # fmt: skip
        finally:
            await database.dispose()

    def start(self) -> None:
        self.env["CENTREX_SIP_WSS_PORT"] = str(self.wss)
        super().start()


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserPhonePbx]:
    server = BrowserPhonePbx(tmp_path_factory.mktemp("browser-phone"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def default_digest_pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserPhonePbx]:
    """The same server with the default challenges, MD5 then SHA-256 (baresip 1.0 cannot
    register there, so the calls use `pbx`): SIP.js, which keeps the last challenge, must be
    left the MD5 one by the page."""
    server = BrowserPhonePbx(tmp_path_factory.mktemp("browser-phone-digest"))
    server.env.pop("CENTREX_SIP_DIGEST_ALGORITHMS")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def write_tone_48k(path: Path, frequency: float, seconds: float = 60.0) -> Path:
    """Chromium's fake microphone (it loops the file): a 48 kHz mono sine."""
    samples = np.arange(int(48000 * seconds))
    pcm = (0.35 * 32767 * np.sin(2 * np.pi * frequency * samples / 48000)).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="module")
def browser(
    tmp_path_factory: pytest.TempPathFactory,
    pbx: BrowserPhonePbx,
    default_digest_pbx: BrowserPhonePbx,
) -> Iterator[Browser]:
    """Chromium, started after the servers (their provisioning runs its own event loop, which
    cannot start inside Playwright's)."""
    tone = write_tone_48k(tmp_path_factory.mktemp("browser-tone") / "tone.wav", BROWSER_HZ)
    args = [
        *ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={tone}",
        "--ignore-certificate-errors",  # the server's self-signed WSS certificate
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield instance
        instance.close()


def open_phone(browser: Browser, pbx: CallPbx, credentials: list[dict[str, Any]]) -> Page:
    """Bea logged in, on /phone, registered; `credentials` collects what the credential
    endpoint answered the page."""
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    base = f"http://127.0.0.1:{pbx.http}"

    def seen(response: Response) -> None:
        if response.url.endswith("/api/v1/me/phone-credential") and response.ok:
            credentials.append(response.json())

    page.on("response", seen)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", BEA[0])
    page.fill("input[name=password]", BEA[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/me")
    page.goto(f"{base}/phone")
    page.wait_for_function(
        "() => window.centrexPhone && window.centrexPhone.state === 'registered'"
    )
    return page


def remote_peak(page: Page) -> dict[str, float]:
    """(peak frequency, level) of what the browser hears, from a Web Audio analyser on the
    call's remote stream."""
    result: dict[str, float] = page.evaluate(
        """async () => {
            const context = new AudioContext();
            const source = context.createMediaStreamSource(window.centrexPhone.remoteStream());
            const analyser = context.createAnalyser();
            analyser.fftSize = 8192;
            source.connect(analyser);
            await new Promise((resolve) => setTimeout(resolve, 1500));
            const bins = new Float32Array(analyser.frequencyBinCount);
            analyser.getFloatFrequencyData(bins);
            let best = 0;
            for (let i = 1; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
            const hz = best * context.sampleRate / analyser.fftSize;
            const level = bins[best];
            await context.close();
            return {hz, level};
        }"""
    )
    return result


def test_browser_registers_without_the_secret_in_its_sources(
    default_digest_pbx: BrowserPhonePbx, browser: Browser
) -> None:
    pbx = default_digest_pbx
    credentials: list[dict[str, Any]] = []
    page = open_phone(browser, pbx, credentials)
    assert credentials, "the page registered without asking for a credential?"
    credential = credentials[0]
    assert credential["ws_url"] == f"wss://127.0.0.1:{pbx.wss}"
    assert credential["sip_uri"] == f"sip:104@{ACME}"
    assert credential["authorization_user"] == "104"
    expect(page.locator("#phone")).to_have_attribute("data-state", "registered")
    # the registrar holds a binding for 104 over WSS
    bindings = pbx.cli("registrations", "--tenant", ACME, "--user", "104")["items"]
    assert len(bindings) == 1, bindings
    assert bindings[0]["transport"].lower() == "wss", bindings
    assert "SIP.js" in bindings[0]["user_agent"], bindings
    # the secret the page got is in none of the sources the server sent it
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    base = f"http://127.0.0.1:{pbx.http}"
    scripts = ("phone.js", "phone-state.js", "phone-sip.js", "phone-history.js")
    for path in ("/phone", "/me", *(f"/static/{name}" for name in scripts)):
        text = httpx.get(f"{base}{path}", cookies=cookies).text
        assert credential["password"] not in text, path
        assert "pw-104-secret" not in text, path
    assert credential["password"] not in page.content()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "browser-phone-registered.png"), full_page=True)
    page.close()


def test_browser_calls_baresip_audio_both_ways(
    pbx: BrowserPhonePbx, browser: Browser, tmp_path: Path
) -> None:
    page = open_phone(browser, pbx, [])
    with phone(pbx, tmp_path, "102", ACME, PHONE_HZ, answer=True) as callee:
        registered(callee)
        page.evaluate("() => window.centrexPhone.call('102')")
        page.wait_for_function("() => window.centrexPhone.state === 'in-call'")
        established(callee)
        first = page.evaluate("() => window.centrexPhone.stats()")
        time.sleep(3)
        later = page.evaluate("() => window.centrexPhone.stats()")
        assert later["packetsReceived"] > first["packetsReceived"] + 50, (first, later)
        assert later["packetsSent"] > first["packetsSent"] + 50, (first, later)
        assert later["audioLevel"] > 0.05, later
        heard = remote_peak(page)
        assert abs(heard["hz"] - PHONE_HZ) < 30, heard
        page.evaluate("() => window.centrexPhone.hangup()")
        assert callee.wait_hung_up(timeout=20), callee.log()
        page.wait_for_function("() => window.centrexPhone.state === 'registered'")
    frequency, level = dominant_frequency(callee.recordings()[-1])
    assert abs(frequency - BROWSER_HZ) < 20, (frequency, level)
    assert level > 500, (frequency, level)
    page.close()


def test_baresip_calls_browser_which_rings_and_answers(
    pbx: BrowserPhonePbx, browser: Browser, tmp_path: Path
) -> None:
    page = open_phone(browser, pbx, [])
    with phone(pbx, tmp_path, "103", ACME, PHONE_HZ) as caller:
        registered(caller)
        caller.command("dial", f"sip:104@{ACME}")
        page.wait_for_function("() => window.centrexPhone.state === 'ringing'")
        expect(page.locator("#phone-incoming")).to_be_visible()
        expect(page.locator("#phone-caller")).to_contain_text("103")
        page.click("#phone-answer")
        page.wait_for_function("() => window.centrexPhone.state === 'in-call'")
        expect(page.locator("#phone-incoming")).to_be_hidden()
        established(caller)
        time.sleep(3)
        stats = page.evaluate("() => window.centrexPhone.stats()")
        assert stats["packetsReceived"] > 50, stats
        assert stats["audioLevel"] > 0.05, stats
        heard = remote_peak(page)
        assert abs(heard["hz"] - PHONE_HZ) < 30, heard
        caller.command("hangup")
        page.wait_for_function("() => window.centrexPhone.state === 'registered'")
    frequency, level = dominant_frequency(caller.recordings()[-1])
    assert abs(frequency - BROWSER_HZ) < 20, (frequency, level)
    assert level > 500, (frequency, level)
    # the call is in the user's history (the CDR API, read again after the hang-up)
    expect(page.locator("#phone-history tr.phone-history-row").first).to_contain_text("103")
    page.close()


def test_mute_and_unmute(pbx: BrowserPhonePbx, browser: Browser, tmp_path: Path) -> None:
    page = open_phone(browser, pbx, [])
    with phone(pbx, tmp_path, "102", ACME, PHONE_HZ, answer=True) as callee:
        registered(callee)
        with RtpCapture(*callee.rtp_ports) as heard:
            page.fill("#phone-target", "102")
            page.click("#phone-call")
            page.wait_for_function("() => window.centrexPhone.state === 'in-call'")
            established(callee)
            time.sleep(2)
            talking = len(heard.audio())
            page.click("#phone-mute")
            expect(page.locator("#phone-mute")).to_have_attribute("aria-pressed", "true")
            assert page.evaluate("() => window.centrexPhone.muted") is True
            time.sleep(1)  # what was on its way before the mute
            muted_from = len(heard.audio())
            time.sleep(2)
            muted_to = len(heard.audio())
            page.evaluate("() => window.centrexPhone.unmute()")
            expect(page.locator("#phone-mute")).to_have_attribute("aria-pressed", "false")
            time.sleep(3)
            page.evaluate("() => window.centrexPhone.hangup()")
            assert callee.wait_hung_up(timeout=20), callee.log()
    audio = heard.audio()

    def rms(samples: np.ndarray) -> float:
        return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0

    assert rms(audio[talking - 8000 : talking]) > 1000  # the browser's tone before the mute
    assert muted_to - muted_from > 8000  # RTP went on while muted ...
    assert rms(audio[muted_from:muted_to]) < 100  # ... carrying silence
    assert rms(audio[muted_to + 8000 :]) > 1000  # the tone again after unmute


def dtmf_events(capture: RtpCapture) -> list[int]:
    """The RFC 4733 events baresip received, one per key press: the event code of each run of
    4-byte event packets (the repeated end packets of one press collapse)."""
    keys: list[int] = []
    previous_end = True
    for pt, payload in capture.packets:
        if pt in (0, 8) or 72 <= pt <= 76 or len(payload) != 4:  # audio, RTCP
            continue
        event, end = payload[0], bool(payload[1] & 0x80)
        if previous_end and not end:
            keys.append(event)
        previous_end = end
    return keys


def test_dtmf_goes_as_rtp_events(pbx: BrowserPhonePbx, browser: Browser, tmp_path: Path) -> None:
    page = open_phone(browser, pbx, [])
    with phone(pbx, tmp_path, "102", ACME, PHONE_HZ, answer=True) as callee:
        registered(callee)
        with RtpCapture(*callee.rtp_ports) as heard:
            page.evaluate("() => window.centrexPhone.call('102')")
            page.wait_for_function("() => window.centrexPhone.state === 'in-call'")
            established(callee)
            # at once after the answer: dtmf() waits for the media transport
            page.evaluate("() => window.centrexPhone.dtmf('15')")
            assert page.evaluate("() => window.centrexPhone.stats()")["canInsertDTMF"] is True
            # a key pressed while those play is queued after them, not instead of them
            page.click("#phone-keypad button[data-digit='#']")
            time.sleep(2)
            page.evaluate("() => window.centrexPhone.hangup()")
            assert callee.wait_hung_up(timeout=20), callee.log()
    assert dtmf_events(heard) == [1, 5, 11]  # '#' is event 11 (RFC 4733 section 3.2)
    page.close()


def test_blind_transfer_and_audio_devices(
    pbx: BrowserPhonePbx, browser: Browser, tmp_path: Path
) -> None:
    page = open_phone(browser, pbx, [])
    with (
        phone(pbx, tmp_path, "102", ACME, PHONE_HZ, answer=True) as first,
        phone(pbx, tmp_path, "103", ACME, 800, answer=True) as second,
    ):
        registered(first)
        registered(second)
        page.evaluate("() => window.centrexPhone.call('102')")
        page.wait_for_function("() => window.centrexPhone.state === 'in-call'")
        established(first)
        # the microphone was granted: Chromium's fake devices are listed with their labels
        page.click(".phone-devices summary")
        expect(page.locator("#phone-input option", has_text="Fake Audio Input 1")).to_have_count(1)
        output = page.locator("#phone-output option", has_text="Fake Audio Output 1")
        expect(output).to_have_count(1)
        speaker = output.get_attribute("value") or ""
        page.select_option("#phone-output", speaker)
        page.wait_for_function(
            f"() => document.getElementById('phone-remote').sinkId === {speaker!r}"
        )
        # another microphone in the call: its track replaces the old one, RTP goes on
        page.select_option("#phone-input", label="Fake Audio Input 1")
        before = page.evaluate("() => window.centrexPhone.stats()")
        time.sleep(1.5)
        after = page.evaluate("() => window.centrexPhone.stats()")
        assert after["packetsSent"] > before["packetsSent"] + 30, (before, after)
        assert page.evaluate("() => window.centrexPhone.error") == ""
        page.fill("#phone-transfer-target", "103")
        page.click("#phone-transfer-go")
        # the browser's part ends; 102 now talks with 103
        page.wait_for_function("() => window.centrexPhone.state === 'registered'")
        assert second.wait_log("Call established", timeout=20), second.log()
        expect(page.locator("#phone-message")).to_contain_text("103")
        time.sleep(2)
        first.command("hangup")
        assert second.wait_hung_up(timeout=20), second.log()
    frequency, _level = dominant_frequency(second.recordings()[-1])
    assert abs(frequency - PHONE_HZ) < 20, frequency  # 103 heard 102 after the transfer
    page.close()

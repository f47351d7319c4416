"""The agent desktop with the browser softphone (issue 16: "calls through the browser
softphone or the agent's own phone extension, chosen at login"), against a real `centrex
serve`: agent Alice logs in to campaign "Desk" in Chromium (fake microphone: a 1000 Hz tone)
choosing the browser phone; the desktop embeds the softphone, which registers extension 101
over SIP on WSS with the credential of `/api/v1/me/phone-credential`. The dialer rings the
lead through the trunk (a sipp carrier answering and echoing RTP), connects it to 101: the
softphone answers that INVITE by itself (it carries X-Centrex-Lead) and the lead pops. Audio
flows: the carrier receives the browser's tone (RTP captured on its port, decoded), and the
browser receives the echo (its WebRTC stats). Mute works from the embedded panel, F4 hangs up
the browser's call (the carrier gets the BYE), and the disposition is saved.

The set-up is tests/e2e/test_agent_desktop.py's (it proves the desk-phone path) with media
ports of its own. No timing is asserted: every wait is bounded and only decides how long to
look.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.test_agent_desktop import AGENT, LEAD, DesktopPbx
from tests.e2e.test_browser_phone import write_tone_48k
from tests.e2e.test_calls import ACME, PRIMARY_HOST, phone, registered, sipp, wait_process
from tests.e2e.test_dialer import leads_file, wait_log
from tests.helpers import free_port
from tests.peers.rtp_capture import RtpCapture
from tests.web.test_portal_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.e2e

RTP_MIN, RTP_MAX = 45400, 45599  # the server's media ports: no other e2e file uses them
BROWSER_HZ = 1000  # the fake microphone's tone
WAIT_MS = (
    40_000  # a loaded machine: SIP.js's modules, ICE and DTLS; look longer, assert nothing on time
)


class BrowserDeskPbx(DesktopPbx):
    """DesktopPbx (Alice owns 101, campaign "Desk" with a script) with SIP over WSS on a port
    of its own and its own media ports."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.wss = free_port()
        self.env.update(CENTREX_RTP_PORT_MIN=str(RTP_MIN), CENTREX_RTP_PORT_MAX=str(RTP_MAX),
                        CENTREX_SIP_WSS_PORT=str(self.wss))  # fmt: skip


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserDeskPbx]:
    server = BrowserDeskPbx(tmp_path_factory.mktemp("desk-browser"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser(pbx: BrowserDeskPbx, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium with a fake microphone, started after the server (its provisioning runs an
    event loop of its own, which cannot start inside Playwright's)."""
    tone = write_tone_48k(tmp_path_factory.mktemp("desk-tone") / "tone.wav", BROWSER_HZ)
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


@contextlib.contextmanager
def ended(process: subprocess.Popen[str]) -> Iterator[None]:
    """The carrier never outlives the test, whatever failed."""
    try:
        yield
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def peak_hz(samples: np.ndarray) -> float:
    """The strongest frequency of 8 kHz audio (the G.711 the carrier received)."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    spectrum[0] = 0.0
    return float(np.argmax(spectrum) * 8000 / len(samples))


def received(page: Page, packets: int, timeout: float = 40.0) -> dict[str, Any]:
    """The softphone's RTP stats once it received `packets` (or the last ones read)."""
    deadline = time.monotonic() + timeout
    while True:
        stats: dict[str, Any] = page.evaluate("() => window.centrexPhone.stats()")
        if stats["packetsReceived"] > packets or time.monotonic() > deadline:
            return stats
        time.sleep(0.25)


def phone_state(page: Page, state: str) -> None:
    page.wait_for_function(f"() => window.centrexPhone && window.centrexPhone.state === {state!r}")


def test_the_browser_softphone_takes_the_dialers_call(
    pbx: BrowserDeskPbx, browser: Browser, tmp_path: Path
) -> None:
    imported = pbx.cli("lead", "import", str(leads_file(tmp_path / "desk.csv", [LEAD])),
                       "--tenant", ACME, "--campaign", "Desk")  # fmt: skip
    assert imported["imported"] == 1, imported
    (lead,) = pbx.cli("lead", "search", "--tenant", ACME, "--campaign", "Desk")["items"]
    base = f"http://127.0.0.1:{pbx.http}"
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.set_default_timeout(WAIT_MS)
    credentials: list[str] = []
    page.on("response", lambda r: credentials.append(r.url) if r.url.endswith(
        "/api/v1/me/phone-credential") and r.ok else None)  # fmt: skip
    page.goto(f"{base}/login")
    page.fill("input[name=email]", AGENT[0])
    page.fill("input[name=password]", AGENT[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/agent")
    expect(page.locator("#agent-phone #phone")).to_have_count(0)  # no softphone before login
    state = page.locator("#agent-state")
    page.locator("#agent-login-form label", has_text="Desk").locator("input").check()
    page.select_option("#agent-phone-choice", "browser")
    page.click("#agent-login-go")
    expect(state).to_have_text("Ready")
    # the embedded softphone registers 101 over WSS with the fetched credential
    phone_state(page, "registered")
    assert credentials, "the softphone registered without the phone credential?"
    bindings = pbx.cli("registrations", "--tenant", ACME, "--user", "101")["items"]
    assert [b["transport"].lower() for b in bindings] == ["wss"], bindings
    expect(page.locator("body.live")).to_have_count(1)  # the events socket is open
    media_port = free_port(host=PRIMARY_HOST)
    carrier = sipp(["-sn", "uas", "-i", PRIMARY_HOST, "-p", str(pbx.primary_port),
                    "-mp", str(media_port), "-rtp_echo", "-m", "1"],
                   tmp_path / "carrier")  # fmt: skip
    with RtpCapture(media_port, media_port) as heard, ended(carrier):
        time.sleep(0.5)
        pbx.cli("campaign", "start", "--tenant", ACME, "--name", "Desk")
        # answered without a click: the INVITE was the dialer's, for this lead
        phone_state(page, "in-call")
        assert page.evaluate("() => window.centrexAgent.answeredLead") == lead["id"]
        expect(page.locator("#agent-lead-name")).to_have_text(LEAD[1])
        expect(page.locator("#agent-card")).to_contain_text(LEAD[0])
        expect(page.locator("#agent-script-page")).to_contain_text(f"Bonjour {LEAD[1]}")
        expect(state).to_have_text("In a call")
        # audio: the carrier's echo of the browser's own tone comes back to the browser
        stats = received(page, 100)
        assert stats["packetsReceived"] > 100, stats
        assert stats["bytesReceived"] > 0, stats
        assert stats["packetsSent"] > 100, stats
        # the panel's mute and hang-up are there for the call
        expect(page.locator("#agent-phone #phone-hangup")).to_be_enabled()
        page.click("#agent-phone #phone-mute")
        expect(page.locator("#phone-mute")).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("() => window.centrexPhone.muted") is True
        page.click("#agent-phone #phone-mute")
        expect(page.locator("#phone-mute")).to_have_attribute("aria-pressed", "false")
        page.keyboard.press("F4")  # the browser's BYE; the server ends the carrier's side
        phone_state(page, "registered")
        assert wait_process(carrier, timeout=60) == 0, pbx.log()[-4000:]
    # what the carrier received was the browser's microphone
    audio = heard.audio()
    assert len(audio) > 8000, len(heard.packets)
    middle = len(audio) // 2
    assert abs(peak_hz(audio[middle - 4000 : middle + 4000]) - BROWSER_HZ) < 20
    assert wait_log(pbx, r"campaign Desk: .*: answered \(lead now done\)"), pbx.log()[-4000:]
    expect(state).to_have_text("Wrap-up")
    page.select_option("#agent-disposition", "sale")
    page.fill("#agent-note", "by the browser")
    page.click("#agent-dispose-go")
    expect(page.locator("#agent-message")).to_have_text(f"Disposition of {LEAD[1]} saved.")
    page.keyboard.press("F2")
    expect(state).to_have_text("Ready")
    page.close()
    (done,) = pbx.cli("lead", "search", "--tenant", ACME, "--campaign", "Desk")["items"]
    assert (done["name"], done["disposition"]) == (LEAD[1], "sale")
    assert done["custom"]["disposition_note"] == "by the browser"


def test_another_call_rings_and_waits_for_a_click(
    pbx: BrowserDeskPbx, browser: Browser, tmp_path: Path
) -> None:
    """Only the dialer's INVITE (X-Centrex-Lead) is answered by itself: a colleague's call
    to the agent rings the embedded softphone until the agent answers it."""
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.set_default_timeout(WAIT_MS)
    base = f"http://127.0.0.1:{pbx.http}"
    page.goto(f"{base}/login")
    page.fill("input[name=email]", AGENT[0])
    page.fill("input[name=password]", AGENT[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base}/agent")
    page.locator("#agent-login-form label", has_text="Desk").locator("input").check()
    page.select_option("#agent-phone-choice", "browser")
    page.click("#agent-login-go")
    phone_state(page, "registered")
    colleague = phone(pbx, tmp_path, "102", ACME, 1500)
    while colleague.rtp_ports[0] <= RTP_MAX and colleague.rtp_ports[1] >= RTP_MIN:
        colleague = phone(pbx, tmp_path, "102", ACME, 1500)
    with colleague:
        registered(colleague)
        colleague.command("dial", f"sip:101@{ACME}")
        phone_state(page, "ringing")
        expect(page.locator("#agent-phone #phone-incoming")).to_be_visible()
        expect(page.locator("#phone-caller")).to_contain_text("102")
        assert page.evaluate("() => window.centrexPhone.header('X-Centrex-Lead')") is None
        time.sleep(2)  # what an automatic answer would have needed: it must not come
        assert page.evaluate("() => window.centrexPhone.state") == "ringing"
        assert page.evaluate("() => window.centrexAgent.answeredLead") is None
        page.click("#agent-phone #phone-answer")
        phone_state(page, "in-call")
        assert colleague.wait_log("Call established", timeout=20), colleague.log()
        page.click("#agent-phone #phone-hangup")
        assert colleague.wait_hung_up(timeout=20), colleague.log()
        phone_state(page, "registered")
    page.close()

"""Issue 14's done criterion on `centrex demo`: log in to the portal as the printed user of 101,
call 102 (a real baresip phone registered with the printed password) from the browser's
softphone, and audio crosses both ways — baresip's recording holds the browser's tone (FFT),
the browser hears baresip's tone through a Web Audio analyser and its packet counts rise."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.e2e.test_browser_phone import BROWSER_HZ, PHONE_HZ, WAIT_MS, remote_peak, write_tone_48k
from tests.e2e.test_demo import Demo
from tests.helpers import free_port
from tests.peers.phone import Phone, dominant_frequency, write_tone
from tests.web.test_portal_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    running = Demo(tmp_path_factory.mktemp("softphone-demo"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory, demo: Demo) -> Iterator[Browser]:
    tone = write_tone_48k(tmp_path_factory.mktemp("demo-tone") / "tone.wav", BROWSER_HZ)
    args = [
        *ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={tone}",
        "--ignore-certificate-errors",  # the demo's self-signed WSS certificate
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield instance
        instance.close()


def test_the_printed_user_of_101_calls_102_from_the_browser(
    demo: Demo, browser: Browser, tmp_path: Path
) -> None:
    alice = demo.info["extensions"][0]
    assert alice["number"] == "101"
    assert alice["portal_email"]
    assert alice["portal_password"]
    assert demo.info["wss_url"]
    domain = demo.info["domain"]
    directory = tmp_path / "phone-102"
    directory.mkdir()
    bob = Phone(
        directory=directory, user="102", domain=domain, password=demo.password("102"),
        server=("127.0.0.1", demo.info["sip_port"]), sip_port=free_port(), ctrl_port=free_port(),
        rtp_ports=(45600, 45640), tone=write_tone(directory / "tone.wav", PHONE_HZ),
        auto_answer=True,
    )  # fmt: skip
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    base = demo.info["portal"].rstrip("/")
    with bob:
        assert bob.wait_log("200 OK", timeout=30), bob.log()
        page.goto(f"{base}/login")
        page.fill("input[name=email]", alice["portal_email"])
        page.fill("input[name=password]", alice["portal_password"])
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/me")
        page.wait_for_function(  # the softphone panel on the user's own page
            "() => window.centrexPhone && window.centrexPhone.state === 'registered'"
        )
        page.evaluate("() => window.centrexPhone.call('102')")
        page.wait_for_function("() => window.centrexPhone.state === 'in-call'")
        assert bob.wait_log("Call established", timeout=30), bob.log()
        first = page.evaluate("() => window.centrexPhone.stats()")
        time.sleep(3)
        later = page.evaluate("() => window.centrexPhone.stats()")
        assert later["packetsReceived"] > first["packetsReceived"] + 50, (first, later)
        assert later["packetsSent"] > first["packetsSent"] + 50, (first, later)
        heard = remote_peak(page)
        assert abs(heard["hz"] - PHONE_HZ) < 30, heard
        page.evaluate("() => window.centrexPhone.hangup()")
        assert bob.wait_hung_up(timeout=20), bob.log()
    frequency, level = dominant_frequency(bob.recordings()[-1])
    assert abs(frequency - BROWSER_HZ) < 20, (frequency, level)
    assert level > 500, (frequency, level)
    page.close()

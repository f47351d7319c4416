"""The browser softphone page (/phone) on a portal server without SIP: who gets it, that no SIP
secret is in what the server sends, the SIP.js library served from node_modules, the page's
state machine (swept pair by pair in Chromium), and its JavaScript API while no server answers.

The credential endpoint is answered by Playwright here where the page's side of the contract is
checked on its own; registering and calling against a real server and baresip:
tests/e2e/test_browser_phone.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from centrex.web.phone_page import SIPJS_DIR
from tests.helpers import free_port
from tests.web.conftest import ADMIN_PASSWORD, USER_PASSWORD, PortalServer
from tests.web.test_portal_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

PAUL = ("paul@acme.example.com", USER_PASSWORD)  # extension 202, SIP password paul-sip-pw-1
ANNA = ("admin@acme.example.com", ADMIN_PASSWORD)  # no extension
PAUL_SIP_PASSWORD = "paul-sip-pw-1"
WAIT_MS = 20_000
MEDIA_ARGS = [*ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]

STATES = ["idle", "registering", "registered", "calling", "ringing", "in-call"]
INPUTS = ["start", "registered", "unregistered", "dial", "incoming", "answered", "ended"]
# The softphone's transitions (static/phone-state.js), written out again: every pair not here
# must be refused.
EXPECTED = {
    ("idle", "start"): "registering",
    ("registering", "start"): "registering",
    ("registering", "registered"): "registered",
    ("registering", "unregistered"): "idle",
    ("registered", "start"): "registered",
    ("registered", "registered"): "registered",
    ("registered", "unregistered"): "idle",
    ("registered", "dial"): "calling",
    ("registered", "incoming"): "ringing",
    ("calling", "start"): "calling",
    ("calling", "registered"): "calling",
    ("calling", "answered"): "in-call",
    ("calling", "ended"): "registered",
    ("calling", "unregistered"): "idle",
    ("ringing", "start"): "ringing",
    ("ringing", "registered"): "ringing",
    ("ringing", "answered"): "in-call",
    ("ringing", "ended"): "registered",
    ("ringing", "unregistered"): "idle",
    ("in-call", "start"): "in-call",
    ("in-call", "registered"): "in-call",
    ("in-call", "answered"): "in-call",
    ("in-call", "ended"): "registered",
    ("in-call", "unregistered"): "idle",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=MEDIA_ARGS)
        yield instance
        instance.close()


def logged_in(browser: Browser, base: str, who: tuple[str, str]) -> Page:
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{base}/login")
    page.fill("input[name=email]", who[0])
    page.fill("input[name=password]", who[1])
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/(me|tenant/extensions)$"))
    return page


def fake_credential(page: Page, password: str, ws_port: int) -> list[dict[str, str]]:
    """Answer POST /api/v1/me/phone-credential as the contract says (a WebSocket nobody
    listens on); returns the requests' headers as they arrive."""
    seen: list[dict[str, str]] = []

    def answer(route: Route) -> None:
        seen.append({"method": route.request.method, **route.request.headers})
        body = {
            "ws_url": f"ws://127.0.0.1:{ws_port}",
            "sip_uri": "sip:202@acme.example.com",
            "authorization_user": "202",
            "password": password,
            "display_name": "Paul",
            "expires_at": "2099-01-01T00:00:00+00:00",
        }
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/me/phone-credential", answer)
    return seen


def test_phone_page_for_a_user_with_an_extension_holds_no_sip_secret(
    portal_server: PortalServer, browser: Browser
) -> None:
    base = portal_server.base_url
    page = logged_in(browser, base, PAUL)
    seen = fake_credential(page, "short-lived-marker-7f3a", free_port())
    response = page.goto(f"{base}/phone")
    assert response is not None
    assert response.status == 200
    expect(page.locator("#phone")).to_have_attribute("data-phone-extension", "202")
    expect(page.locator("h1")).to_have_text("Softphone")
    # the page fetched its credential with the session's CSRF token, by POST
    page.wait_for_function(
        "() => window.centrexPhone && window.centrexPhone.state === 'idle' && window.centrexPhone.error"
    )
    assert seen
    assert seen[0]["method"] == "POST"
    assert seen[0]["x-csrf-token"] == page.locator("body").get_attribute("data-csrf")
    # what the server sent: the HTML, the page's scripts, SIP.js's entry module
    sources = [httpx.get(f"{base}{path}", cookies=_cookies(page)).text for path in (
        "/phone", "/me", "/static/phone.js", "/static/phone-state.js", "/static/phone-sip.js",
        "/static/phone-history.js",
        "/static/vendor/sip.js/index.js")]  # fmt: skip
    assert all(PAUL_SIP_PASSWORD not in text for text in sources)
    assert '<section class="card phone"' in sources[0]
    assert '<section class="card phone"' in sources[1]
    # ... and what the page made of the credential: never written into the document or the API
    assert "short-lived-marker-7f3a" not in page.content()
    api = page.evaluate("JSON.stringify(Object.assign({}, window.centrexPhone))")
    assert "short-lived-marker-7f3a" not in api
    assert "202@acme.example.com" in api


def _cookies(page: Page) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def test_phone_page_explains_to_a_user_without_an_extension(
    portal_server: PortalServer, browser: Browser
) -> None:
    base = portal_server.base_url
    page = logged_in(browser, base, ANNA)
    response = page.goto(f"{base}/phone")
    assert response is not None
    assert response.status == 403
    expect(page.locator("#phone-refused")).to_contain_text("needs an extension")
    expect(page.locator("#phone")).to_have_count(0)
    assert page.evaluate("window.centrexPhone === undefined")
    # in French too, and nobody logged in goes to the login page
    page.goto(f"{base}/phone?lang=fr")
    expect(page.locator("#phone-refused")).to_contain_text("a besoin d'une extension")
    anonymous = httpx.get(f"{base}/phone", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login"


def test_sipjs_is_served_from_node_modules(portal_server: PortalServer) -> None:
    installed = json.loads((SIPJS_DIR.parent / "package.json").read_text())
    assert installed["version"] == "0.21.2"  # package-lock.json's pin
    lock = json.loads((Path(__file__).parents[2] / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/sip.js"]["version"] == installed["version"]
    served = httpx.get(f"{portal_server.base_url}/static/vendor/sip.js/index.js")
    assert served.status_code == 200
    assert "javascript" in served.headers["content-type"]  # an ES module needs a JS MIME type
    assert served.text == (SIPJS_DIR / "index.js").read_text()
    outside = httpx.get(f"{portal_server.base_url}/static/vendor/sip.js/../package.json")
    assert outside.status_code == 404


def test_state_machine_sweeps_every_pair(portal_server: PortalServer, browser: Browser) -> None:
    page = browser.new_page()
    page.goto(f"{portal_server.base_url}/login")
    result = page.evaluate(
        """async () => {
            const m = await import('/static/phone-state.js');
            const moves = {};
            for (const s of m.STATES) for (const i of m.INPUTS) {
                try { moves[s + '|' + i] = m.next(s, i); }
                catch (e) { if (!(e instanceof m.IllegalTransition)) throw e; moves[s + '|' + i] = null; }
            }
            const holder = new m.PhoneState();
            const seen = [];
            holder.onChange((now, before) => seen.push(before + '>' + now));
            const fed = ['start', 'dial', 'registered', 'dial', 'answered', 'ended', 'incoming',
                         'unregistered'].map((i) => holder.feed(i));
            return {states: m.STATES, inputs: m.INPUTS, moves, fed, seen, last: holder.state};
        }"""
    )
    assert result["states"] == STATES
    assert result["inputs"] == INPUTS
    for state in STATES:
        for event in INPUTS:
            assert result["moves"][f"{state}|{event}"] == EXPECTED.get((state, event)), (
                state,
                event,
            )
    # an illegal input (dial while registering) is refused and changes nothing
    assert result["fed"] == [True, False, True, True, True, True, True, True]
    assert result["seen"] == ["idle>registering", "registering>registered", "registered>calling",
                              "calling>in-call", "in-call>registered", "registered>ringing",
                              "ringing>idle"]  # fmt: skip
    assert result["last"] == "idle"


def test_js_api_while_no_server_answers(portal_server: PortalServer, browser: Browser) -> None:
    base = portal_server.base_url
    page = logged_in(browser, base, PAUL)
    fake_credential(page, "another-marker", free_port())
    page.goto(f"{base}/me")  # the panel on the user's own page
    expect(page.locator("#phone")).to_have_count(1)
    page.wait_for_function("() => window.centrexPhone && window.centrexPhone.error")
    names = page.evaluate(
        "Object.keys(window.centrexPhone).filter((k) => typeof window.centrexPhone[k] === 'function')"
    )
    for name in ("call", "answer", "hangup", "hold", "resume", "mute", "dtmf", "transfer", "stats"):
        assert name in names
    assert page.evaluate("window.centrexPhone.state") == "idle"
    expect(page.locator("#phone-status")).to_have_text("Non enregistré", timeout=WAIT_MS)  # fr
    expect(page.locator("#phone-call")).to_be_disabled()
    expect(page.locator("#phone-hold")).to_be_disabled()
    refused = page.evaluate(
        """async () => {
            const out = {};
            for (const [name, arg] of [['call', '101'], ['answer'], ['hangup'], ['dtmf', '1']]) {
                try { await window.centrexPhone[name](arg); out[name] = 'done'; }
                catch (e) { out[name] = e.message; }
            }
            out.stats = await window.centrexPhone.stats();
            return out;
        }"""
    )
    assert refused["call"] == "cannot call while idle"
    assert refused["answer"].startswith("no call to act on")
    assert refused["dtmf"].startswith("no call to act on")
    assert refused["stats"]["packetsSent"] == 0
    assert refused["stats"]["packetsReceived"] == 0
    # before a call the dial pad writes the number
    page.click("#phone-keypad button[data-digit='1']")
    page.click("#phone-keypad button[data-digit='0']")
    page.click("#phone-keypad button[data-digit='#']")
    expect(page.locator("#phone-target")).to_have_value("10#")


def test_credential_refused_is_explained(portal_server: PortalServer, browser: Browser) -> None:
    base = portal_server.base_url
    page = logged_in(browser, base, PAUL)

    def refuse(route: Route) -> None:
        problem = {"title": "Service Unavailable", "status": 503,
                   "detail": "SIP over secure WebSocket is off", "error_id": "phone-wss-off"}  # fmt: skip
        route.fulfill(status=503, content_type="application/problem+json", body=json.dumps(problem))

    page.route("**/api/v1/me/phone-credential", refuse)
    page.goto(f"{base}/phone")
    # (after SIP.js's hundred modules loaded: generous on two shared cores)
    expect(page.locator("#phone-message")).to_contain_text(
        "SIP over secure WebSocket is off", timeout=WAIT_MS
    )
    assert page.evaluate("window.centrexPhone.state") == "idle"


CHALLENGES = (
    "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/WSS x.invalid;branch=z9hG4bK1\r\nCall-ID: c1\r\n"
    'WWW-Authenticate: Digest realm="acme", nonce="n1", algorithm=MD5, qop="auth"\r\n'
    'WWW-Authenticate: Digest realm="acme", nonce="n2", algorithm=SHA-256, qop="auth"\r\n'
    "Content-Length: 0\r\n\r\n"
)


def test_several_challenges_leave_sipjs_the_md5_one(
    portal_server: PortalServer, browser: Browser
) -> None:
    """SIP.js 0.21 keeps only the last WWW-Authenticate and knows only MD5; Centrex sends MD5
    then SHA-256 by default. The page's transport keeps the MD5 challenge."""
    page = browser.new_page()
    page.goto(f"{portal_server.base_url}/login")
    out = page.evaluate(
        """async (texts) => {
            const m = await import('/static/phone-sip.js');
            return texts.map((t) => m.md5ChallengeOnly(t));
        }""",
        [
            CHALLENGES,
            CHALLENGES.replace("algorithm=MD5", "algorithm=SHA-512-256"),  # no MD5: unchanged
            CHALLENGES.replace("401 Unauthorized", "200 OK"),  # not a challenge: unchanged
            CHALLENGES.replace("WWW-Authenticate", "Proxy-Authenticate").replace("401", "407"),
        ],
    )
    assert out[0] == CHALLENGES.replace(
        'WWW-Authenticate: Digest realm="acme", nonce="n2", algorithm=SHA-256, qop="auth"\r\n', ""
    )
    assert out[1] == CHALLENGES.replace("algorithm=MD5", "algorithm=SHA-512-256")
    assert out[2] == CHALLENGES.replace("401 Unauthorized", "200 OK")
    assert 'nonce="n2"' not in out[3]
    assert 'nonce="n1"' in out[3]


OFFER = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8 110 126\r\nc=IN IP4 0.0.0.0\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtpmap:9 G722/8000\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n"
    "a=fmtp:126 0-15\r\na=sendrecv\r\n"
)


def test_the_offer_keeps_only_8khz_telephone_events(
    portal_server: PortalServer, browser: Browser
) -> None:
    """Chromium offers telephone-event/48000 before /8000; the page offers only the 8 kHz one
    (Centrex's codecs have an 8 kHz RTP clock, and its offer/answer takes the first event)."""
    page = browser.new_page()
    page.goto(f"{portal_server.base_url}/login")
    out = page.evaluate(
        """async (sdps) => {
            const m = await import('/static/phone-sip.js');
            return sdps.map((s) => m.narrowbandEventsOnly(s));
        }""",
        [OFFER, OFFER.replace("a=rtpmap:126 telephone-event/8000\r\n", "").replace(" 126", "")],
    )
    assert "m=audio 9 UDP/TLS/RTP/SAVPF 111 9 0 8 126\r\n" in out[0]
    assert "telephone-event/48000" not in out[0]
    assert "a=rtpmap:126 telephone-event/8000\r\na=fmtp:126 0-15\r\n" in out[0]
    assert out[0] == OFFER.replace(" 110 126", " 126").replace(
        "a=rtpmap:110 telephone-event/48000\r\n", ""
    )
    # only a wideband event: left as it is (better than no events at all)
    assert out[1] == OFFER.replace("a=rtpmap:126 telephone-event/8000\r\n", "").replace(" 126", "")

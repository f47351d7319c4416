"""WebRTC media through a real `centrex serve`: aiortc (a browser-free WebRTC peer) calls a
baresip phone with plain RTP. Centrex terminates ICE-lite + DTLS-SRTP on the browser's leg and
relays G.711 to the phone without transcoding; audio is checked both ways by FFT.

The browser's SIP is a few hand-built requests over UDP (digest answered with the project's
own `authenticated_retry`); its media is aiortc's full stack (ICE, DTLS, SRTP).
Edge cases: a wrong certificate fingerprint is refused (no media, logged), a SAVPF offer
without a fingerprint is answered 488, malformed STUN and forged SRTP are counted and the call
goes on.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from centrex.sip.builders import build_ack, build_invite, build_request, generate_branch, make_via
from centrex.sip.digest import authenticated_retry
from centrex.sip.headers import NameAddr, parse_name_addr
from centrex.sip.message import Request, Response, parse_message
from centrex.sip.uri import parse_uri
from tests.e2e.test_calls import ACME, CallPbx, phone, registered
from tests.helpers import free_port
from tests.media.webrtc.browser import Browser, host_addresses, tone_level
from tests.peers.phone import Phone, read_recording

pytestmark = pytest.mark.e2e

BROWSER_HOST = "127.0.0.71"
STRANGER_HOST = "127.0.0.72"


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallPbx]:
    server = CallPbx(tmp_path_factory.mktemp("webrtc"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.queue.put_nowait(data)


class BrowserSip:
    """The signalling half of a browser softphone: INVITE (with digest), ACK, BYE over UDP."""

    def __init__(self, server: tuple[str, int], user: str, password: str) -> None:
        self.server = server
        self.user = user
        self.password = password
        self.port = free_port(host=BROWSER_HOST)
        self.transport: asyncio.DatagramTransport | None = None
        self.proto = _Udp()
        self.invite: Request | None = None
        self.ok: Response | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(
            lambda: self.proto, local_addr=(BROWSER_HOST, self.port)
        )

    def send(self, message: Request) -> None:
        assert self.transport is not None
        self.transport.sendto(message.serialize(), self.server)

    async def response(self, request: Request, limit: float = 15.0) -> Response:
        """The next final response to `request` (1xx skipped; resent until something comes)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        branch = request.top_via.branch if request.top_via else None
        answered = False
        while loop.time() < deadline:
            try:
                data = await asyncio.wait_for(self.proto.queue.get(), 0.5 if not answered else 2)
            except TimeoutError:
                if not answered:
                    self.send(request)  # UDP retransmission (RFC 3261 §17.1.1.2), bounded
                continue
            message = parse_message(data)
            if isinstance(message, Request):
                continue  # nothing in these calls asks the browser anything it must answer
            if message.top_via is None or message.top_via.branch != branch:
                continue
            answered = True
            if message.status >= 200:
                return message
        raise TimeoutError(f"no final response to {request.method}")

    async def call(self, callee: str, sdp: str) -> Response:
        """INVITE `callee` with `sdp`; answers a 401/407 once; ACKs the final response."""
        host = BROWSER_HOST
        aor = parse_uri(f"sip:{self.user}@{ACME}")
        invite = build_invite(
            parse_uri(f"sip:{callee}@{ACME}"),
            from_=NameAddr(aor, params=(("tag", generate_branch()[-8:]),)),
            to=NameAddr(parse_uri(f"sip:{callee}@{ACME}")),
            call_id=f"{generate_branch()[7:]}@{host}",
            cseq=1,
            via=make_via(host, self.port),
            contact=NameAddr(parse_uri(f"sip:{self.user}@{host}:{self.port}")),
            sdp=sdp.encode(),
        )
        self.send(invite)
        final = await self.response(invite)
        if final.status in (401, 407):
            self.send(build_ack(invite, final))
            invite = authenticated_retry(invite, final, self.user, self.password, generate_branch())
            self.send(invite)
            final = await self.response(invite)
        self.invite = invite
        if final.status >= 300:
            self.send(build_ack(invite, final))
            return final
        self.ok = final
        self.send(self._in_dialog("ACK", invite.cseq.number if invite.cseq else 1))
        return final

    def _in_dialog(self, method: str, cseq: int) -> Request:
        assert self.invite is not None
        assert self.ok is not None
        contact = self.ok.headers.get("Contact") or f"<sip:{self.server[0]}:{self.server[1]}>"
        target = parse_uri(re.sub(r"^.*<|>.*$", "", contact))
        routes = [NameAddr(parse_uri(re.sub(r"^.*<|>.*$", "", r)))
                  for r in reversed(self.ok.headers.get_all("Record-Route"))]  # fmt: skip
        return build_request(
            method,
            target,
            from_=parse_name_addr(self.invite.headers.get("From") or ""),
            to=parse_name_addr(self.ok.headers.get("To") or ""),
            call_id=self.invite.headers.get("Call-ID") or "",
            cseq=cseq,
            via=make_via(BROWSER_HOST, self.port),
            route=routes,
        )

    async def bye(self) -> int:
        assert self.invite is not None
        bye = self._in_dialog("BYE", (self.invite.cseq.number if self.invite.cseq else 1) + 1)
        self.send(bye)
        return (await self.response(bye)).status

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def media_port(answer: str) -> int:
    match = re.search(r"^m=audio (\d+) ", answer, re.MULTILINE)
    assert match, answer
    return int(match.group(1))


async def wait_log(pbx: CallPbx, pattern: str, limit: float = 15.0) -> re.Match[str]:
    for _ in range(int(limit / 0.2)):
        found = re.search(pattern, pbx.log())
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"{pattern!r} not in the server log: {pbx.log()[-3000:]}")


async def started(p: Phone) -> None:
    await asyncio.to_thread(registered, p)


def heard(p: Phone) -> np.ndarray:
    return read_recording(p.recordings()[-1])


async def test_browser_calls_a_phone_audio_both_ways(pbx: CallPbx, tmp_path: Path) -> None:
    with (
        phone(pbx, tmp_path, "102", ACME, 1000, answer=True) as callee,
        host_addresses(BROWSER_HOST),
    ):
        await started(callee)
        browser = Browser(700.0)
        sip = BrowserSip(("127.0.0.1", pbx.sip), "101", "pw-101-secret")
        await sip.open()
        try:
            ok = await sip.call("102", await browser.offer())
            assert ok.status == 200, ok
            answer = ok.body.decode()
            for attr in ("UDP/TLS/RTP/SAVPF", "a=ice-lite", "a=setup:active", "a=rtcp-mux",
                         "a=group:BUNDLE", "a=fingerprint:sha-256 ", "a=rtpmap:0 PCMU/8000"):  # fmt: skip
                assert attr in answer, answer
            await browser.accept_answer(answer)
            await wait_log(pbx, r"DTLS-SRTP up \(client")

            # Junk at Centrex's media port from a stranger, mid-call: refused, counted.
            loop = asyncio.get_running_loop()
            junk, _ = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, local_addr=(STRANGER_HOST, 0)
            )
            port = media_port(answer)
            junk.sendto(
                b"\x00\x01\x00\x04\x21\x12\xa4\x42" + bytes(12) + b"junk", ("127.0.0.1", port)
            )
            junk.sendto(b"\x16\xfe\xfd" + bytes(40), ("127.0.0.1", port))
            junk.close()
            # Forged SRTP from the ICE-selected address (aiortc's own pair): auth failure.
            ice = browser.pc.getTransceivers()[0].sender.transport.transport
            forged = b"\x80\x00\x00\x09" + bytes(8) + bytes(170)
            await ice._connection.sendto(forged, 1)

            for _ in range(150):  # up to 6 s of the phone's 1000 Hz tone reaching the browser
                if len(browser.received) >= 200:
                    break
                await asyncio.sleep(0.04)
            assert len(browser.received) >= 100
            assert tone_level(browser.audio()[-8000:], 1000.0) > 0.8
            assert await sip.bye() == 200
        finally:
            await browser.close()
            sip.close()
        assert await asyncio.to_thread(callee.wait_hung_up), callee.log()
    recording = heard(callee)
    assert tone_level(recording[-16000:], 700.0) > 0.8  # the browser's tone, through SRTP
    summary = await wait_log(
        pbx, r"webrtc: stun_binding_requests=(\d+) stun_bad=(\d+) dtls_state=connected "
        r"dtls_failures=0 srtp_packets_in=(\d+) srtp_packets_out=(\d+) srtp_auth_failures=(\d+)"
    )  # fmt: skip
    requests, bad, packets_in, packets_out, auth = (int(g) for g in summary.groups())
    assert requests >= 1
    assert bad >= 1
    assert packets_in > 100
    assert packets_out > 100
    assert auth >= 1
    assert "refused a STUN message" in pbx.log()
    cdr = pbx.wait_cdr(ACME, 1)[0]
    assert (cdr["caller"], cdr["callee"], cdr["disposition"]) == ("101", "102", "answered")


async def test_wrong_fingerprint_is_refused_and_no_media_flows(
    pbx: CallPbx, tmp_path: Path
) -> None:
    with (
        phone(pbx, tmp_path, "103", ACME, 1000, answer=True) as callee,
        host_addresses(BROWSER_HOST),
    ):
        await started(callee)
        browser = Browser(700.0)
        sip = BrowserSip(("127.0.0.1", pbx.sip), "101", "pw-101-secret")
        await sip.open()
        try:
            offer = await browser.offer()
            line = next(ln for ln in offer.splitlines() if ln.startswith("a=fingerprint:"))
            algo, value = line.split(":", 1)[1].split(" ", 1)
            forged = ("00" if value[:2] != "00" else "11") + value[2:]
            ok = await sip.call("103", offer.replace(line, f"a=fingerprint:{algo} {forged}"))
            assert ok.status == 200
            await browser.accept_answer(ok.body.decode())
            await wait_log(pbx, r"does not match the SDP fingerprint; no media")
            await asyncio.sleep(2.0)
            assert browser.received == []  # Centrex sent nothing it could decrypt
            assert await sip.bye() == 200
        finally:
            await browser.close()
            sip.close()
        assert await asyncio.to_thread(callee.wait_hung_up), callee.log()
    await wait_log(pbx, r"dtls_state=failed dtls_failures=1 srtp_packets_in=0 srtp_packets_out=0")
    recording = heard(callee)
    assert tone_level(recording, 700.0) < 0.1  # the phone never heard the browser


async def test_savpf_offer_without_fingerprint_gets_488(pbx: CallPbx) -> None:
    with host_addresses(BROWSER_HOST):
        browser = Browser(700.0)
        sip = BrowserSip(("127.0.0.1", pbx.sip), "101", "pw-101-secret")
        await sip.open()
        try:
            offer = await browser.offer()
            stripped = "\r\n".join(
                ln for ln in offer.splitlines() if not ln.startswith("a=fingerprint")
            )
            final = await sip.call("102", stripped + "\r\n")
            assert final.status == 488
        finally:
            await browser.close()
            sip.close()
    assert "fingerprint" in pbx.log()

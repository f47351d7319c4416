"""A browser softphone's path through a real `centrex serve`, with real peers: the phone
credential from the API, a REGISTER over SIP over secure WebSocket (RFC 7118, the `websockets`
library as the browser, certificate not verified: it is the generated self-signed one), a call
from a baresip phone that arrives on that same WebSocket connection (RFC 5626 flow reuse: the
browser's Contact is an unroutable `.invalid` host), and the binding gone once the connection
closes. A wrong, expired or other tenant's credential is refused.

The digest answer is computed here with hashlib (RFC 2617/7616 MD5, qop=auth), independent of
the server's digest code.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from centrex.clock import SystemClock
from centrex.data.db import Database
from centrex.data.models import Extension, PhoneCredential, Role
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from centrex.provisioning.credentials import ha1
from tests.helpers import free_port, wait_http
from tests.peers.phone import Phone, write_tone
from tests.peers.raw import udp_options_ok

pytestmark = pytest.mark.e2e

A = "acme.wss.test"
B = "beta.wss.test"
BROWSER_HOST = "127.0.0.61"  # the browser's own loopback address
CONTACT_HOST = "df7jal23ls0d.invalid"
PHONE_PASSWORD = "pw-102-secret"


class Pbx:
    """`centrex serve` with SIP over WSS, two tenants and a user owning 101 in each."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.sip, self.http, self.wss = free_port(), free_port(), free_port()
        self.env = dict(os.environ)
        self.env.update(
            CENTREX_DATA_DIR=str(self.data),
            CENTREX_DATABASE_URL="",
            CENTREX_SIP_DIGEST_ALGORITHMS="MD5",  # baresip 1.0 rejects SHA-256 challenges
            CENTREX_ROUTE_CACHE_SECONDS="0",
            CENTREX_RING_TIMEOUT="30",
            CENTREX_RTP_PORT_MIN="43000",
            CENTREX_RTP_PORT_MAX="43499",
            CENTREX_LOG_LEVEL="INFO",
        )
        self.env.pop("CENTREX_CONFIG", None)
        self.tokens: dict[str, str] = {}
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"sqlite+aiosqlite:///{self.data / 'centrex.db'}"

    async def provision(self) -> None:
        database = Database(self.url)
        now = SystemClock().utcnow()
        try:
            await database.upgrade()
            async with database.transaction() as session:
                for domain, who in ((A, "alice"), (B, "bob")):
                    tenant = await tenant_service.create_tenant(
                        session, now=now, name=domain, domain=domain, extension_digits=3,
                        max_calls=4,
                    )  # fmt: skip
                    scope = tenant_service.scope_of(session, tenant)
                    user = await user_service.create_user(
                        scope, name=who.title(), email=f"{who}@{domain}"
                    )
                    await extension_service.create_extension(
                        scope, number="101", name=f"{who.title()} Browser", user_id=user.id,
                        voicemail=False,
                    )  # fmt: skip
                    await extension_service.create_extension(
                        scope, number="102", password=PHONE_PASSWORD, voicemail=False
                    )
                    token = await token_service.create_token(
                        session, role=Role.USER, now=now, tenant_id=tenant.id, user_id=user.id
                    )
                    self.tokens[who] = token.secret
        finally:
            await database.dispose()

    def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        asyncio.run(self.provision())
        with (self.directory / "serve.log").open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "centrex", "serve", "--sip", f"127.0.0.1:{self.sip}",
                 "--http", f"127.0.0.1:{self.http}", "--sip-wss", f"127.0.0.1:{self.wss}"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        if not udp_options_ok(("127.0.0.1", self.sip), timeout=60):  # slow under load
            self.stop()
            pytest.fail(f"server did not start: {self.log()[-3000:]}")
        wait_http(f"http://127.0.0.1:{self.http}/api/v1/health")

    def log(self) -> str:
        return (self.directory / "serve.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def phone_credential(self, who: str) -> dict[str, Any]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http}/api/v1/me/phone-credential",
            method="POST",
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            return dict(json.loads(response.read()))

    def registrations(self, domain: str) -> list[dict[str, Any]]:
        done = subprocess.run(
            [sys.executable, "-m", "centrex", "registrations", "--tenant", domain, "--json"],
            env=self.env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return list(json.loads(done.stdout)["items"])


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pbx]:
    server = Pbx(tmp_path_factory.mktemp("wss-pbx"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------------ the browser's SIP


def _no_verify() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the server's generated self-signed certificate
    return context


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _authorization(challenge: str, user: str, realm_password: str, uri: str) -> str:
    params = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge.partition(" ")[2]))
    realm, nonce = params["realm"], params["nonce"]
    cnonce, nc = secrets.token_hex(8), "00000001"
    ha1_value = _md5(f"{user}:{realm}:{realm_password}")
    ha2 = _md5(f"REGISTER:{uri}")
    response = _md5(f"{ha1_value}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", algorithm=MD5, qop=auth, nc={nc}, cnonce="{cnonce}"'
    )


def _register(domain: str, user: str, call_id: str, cseq: int, auth: str | None,
              expires: int = 600) -> str:  # fmt: skip
    lines = [
        f"REGISTER sip:{domain} SIP/2.0",
        f"Via: SIP/2.0/WSS {CONTACT_HOST};branch=z9hG4bK{secrets.token_hex(8)}",
        "Max-Forwards: 70",
        f"To: <sip:{user}@{domain}>",
        f"From: <sip:{user}@{domain}>;tag={secrets.token_hex(4)}",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        f"Contact: <sip:abc@{CONTACT_HOST};transport=ws>;expires={expires}",
        "User-Agent: centrex-test-browser",
    ]
    if auth:
        lines.append(f"Authorization: {auth}")
    return "\r\n".join([*lines, "Content-Length: 0", "", ""])


def _status(message: str) -> int:
    return int(message.split(" ", 2)[1])


def _header(message: str, name: str) -> str:
    match = re.search(rf"^{name}:\s*(.*?)\r$", message, re.M | re.I)
    assert match is not None, (name, message)
    return match.group(1)


async def _recv_sip(ws: ClientConnection, seconds: float = 20.0) -> str:
    """The next SIP message (keep-alive CRLFs skipped)."""
    async with asyncio.timeout(seconds):
        while True:
            message = await ws.recv()
            text = message if isinstance(message, str) else message.decode()
            if text.strip():
                return text


async def _open(pbx: Pbx) -> ClientConnection:
    return await connect(
        f"wss://127.0.0.1:{pbx.wss}", subprotocols=[Subprotocol("sip")], ssl=_no_verify(),
        local_addr=(BROWSER_HOST, 0), server_hostname="localhost",
    )  # fmt: skip


async def _try_register(ws: ClientConnection, domain: str, user: str, password: str) -> str:
    """REGISTER, answer the 401 with `password`; returns the final response."""
    call_id = secrets.token_hex(8)
    await ws.send(_register(domain, user, call_id, 1, None))
    first = await _recv_sip(ws)
    assert _status(first) == 401, first
    auth = _authorization(_header(first, "WWW-Authenticate"), user, password, f"sip:{domain}")
    await ws.send(_register(domain, user, call_id, 2, auth))
    return await _recv_sip(ws)


def _answer(request: str, status: int, reason: str) -> str:
    """A response to `request` copying Via, From, To (with a tag), Call-ID and CSeq."""
    vias = re.findall(r"^(?:Via|v):.*?\r$", request, re.M | re.I)
    to = _header(request, "To")
    lines = [
        f"SIP/2.0 {status} {reason}", *(v.rstrip("\r") for v in vias),
        f"From: {_header(request, 'From')}", f"To: {to};tag=browser{secrets.token_hex(3)}",
        f"Call-ID: {_header(request, 'Call-ID')}", f"CSeq: {_header(request, 'CSeq')}",
        "Content-Length: 0", "", "",
    ]  # fmt: skip
    return "\r\n".join(lines)


def _wait(predicate: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


# ------------------------------------------------------------------------------------ tests


def test_credential_registers_over_wss_and_calls_arrive_on_the_connection(
    pbx: Pbx, tmp_path: Path
) -> None:
    credential = pbx.phone_credential("alice")
    assert credential["ws_url"] == f"wss://127.0.0.1:{pbx.wss}"
    assert credential["sip_uri"] == f"sip:101@{A}"
    assert credential["authorization_user"] == "101"
    assert credential["display_name"] == "Alice Browser"

    async def browser() -> str:
        ws = await _open(pbx)
        try:
            ok = await _try_register(ws, A, "101", credential["password"])
            assert _status(ok) == 200, ok
            assert f"sip:abc@{CONTACT_HOST};transport=ws" in _header(ok, "Contact")
            (binding,) = await asyncio.to_thread(pbx.registrations, A)
            assert binding["transport"] == "WSS"
            assert binding["source"].startswith(BROWSER_HOST + ":")
            # a real phone calls 101: the INVITE comes down this very connection
            with _caller(pbx, tmp_path) as phone:
                assert await asyncio.to_thread(phone.wait_log, "200 OK", 20), phone.log()
                phone.command("dial", f"sip:101@{A}")
                invite = await _recv_sip(ws, 30)
                while not invite.startswith("INVITE "):
                    invite = await _recv_sip(ws, 30)
                await ws.send(_answer(invite, 486, "Busy Here"))
                ack = await _recv_sip(ws, 20)
                while not ack.startswith("ACK "):
                    ack = await _recv_sip(ws, 20)
                closed = await asyncio.to_thread(phone.wait_hung_up, 20)
                assert closed, phone.log()
            return invite
        finally:
            await ws.close()

    invite = asyncio.run(browser())
    assert invite.startswith(f"INVITE sip:abc@{CONTACT_HOST};transport=ws SIP/2.0"), invite
    assert _header(invite, "Via").upper().startswith("SIP/2.0/WSS")
    assert "m=audio" in invite  # an offer for the browser's leg
    # the connection closed: the binding went with it (persisted, so any shell sees it)
    assert _wait(lambda: pbx.registrations(A) == [], 60), pbx.registrations(A)
    assert "binding(s) of closed WSS flow" in pbx.log()


def _caller(pbx: Pbx, tmp: Path) -> Phone:
    directory = tmp / "phone-102"
    directory.mkdir(parents=True, exist_ok=True)
    sip_port = free_port()
    return Phone(
        directory=directory, user="102", domain=A, password=PHONE_PASSWORD,
        server=("127.0.0.1", pbx.sip), sip_port=sip_port, ctrl_port=free_port(),
        rtp_ports=(43600, 43640), tone=write_tone(directory / "tone.wav", 440.0),
    )  # fmt: skip


def test_a_wrong_or_expired_credential_is_refused(pbx: Pbx) -> None:
    secret = secrets.token_urlsafe(24)

    async def expired_row() -> None:
        database = Database(pbx.url)
        now = SystemClock().utcnow()
        try:
            async with database.transaction() as session:
                scope = await tenant_service.scope_for(session, A)
                ext = await scope.first(Extension, Extension.number == "101")
                assert ext is not None
                assert ext.user_id is not None
                scope.add(
                    PhoneCredential(
                        extension_id=ext.id, user_id=ext.user_id,
                        ha1_md5=ha1("101", A, secret, "MD5"),
                        ha1_sha256=ha1("101", A, secret, "SHA-256"),
                        expires_at=now - timedelta(seconds=5), created_at=now - timedelta(hours=12),
                    )
                )  # fmt: skip
        finally:
            await database.dispose()

    asyncio.run(expired_row())

    async def browser() -> tuple[str, str]:
        ws = await _open(pbx)
        try:
            wrong = await _try_register(ws, A, "101", "not-the-credential")
            expired = await _try_register(ws, A, "101", secret)
            return wrong, expired
        finally:
            await ws.close()

    wrong, expired = asyncio.run(browser())
    assert _status(wrong) == 403, wrong
    assert _status(expired) == 403, expired
    assert pbx.registrations(A) == []


def test_another_tenants_credential_does_not_register_here(pbx: Pbx) -> None:
    """Bob (tenant B) owns a 101 too: his credential registers B's 101, never A's."""
    bob = pbx.phone_credential("bob")
    assert bob["sip_uri"] == f"sip:101@{B}"

    async def browser() -> tuple[str, str]:
        ws = await _open(pbx)
        try:
            foreign = await _try_register(ws, A, "101", bob["password"])
            own = await _try_register(ws, B, "101", bob["password"])
            return foreign, own
        finally:
            await ws.close()

    foreign, own = asyncio.run(browser())
    assert _status(foreign) == 403, foreign
    assert _status(own) == 200, own
    assert pbx.registrations(A) == []

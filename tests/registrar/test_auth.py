"""The shared digest gate against a real Directory (SQLite) with a manual clock: MD5-only UAs
that answer the first challenge succeed by default; SHA-256 preferred or required per tenant
and per device (an MD5 answer from a device requiring SHA-256 is challenged again, never
accepted); bad password -> 403 counted towards a ban; stale nonces; 404; proxy (407) mode and
the realm fallback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import update

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import DigestPolicy, Extension
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.registrar import (
    Authenticated,
    AuthFailureTracker,
    AuthReply,
    DigestGate,
    Directory,
    policy_algorithms,
)
from centrex.sip.digest import Challenge, DigestServer, answer_challenge, parse_challenge
from centrex.sip.message import Request, parse_message

PASSWORD = "correct-horse-1"
PHONE = "192.0.2.50"


@dataclass
class Setup:
    gate: DigestGate
    failures: AuthFailureTracker
    clock: ManualClock

    def now(self) -> float:
        return self.clock.utcnow().timestamp()


def invite(
    user: str = "101",
    host: str = "acme.test",
    *,
    auth: str | None = None,
    header: str = "Proxy-Authorization",
) -> Request:
    lines = [
        f"INVITE sip:200@{host} SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.50:5062;branch=z9hG4bKgate1;rport",
        "Max-Forwards: 70",
        f"From: <sip:{user}@{host}>;tag=abc",
        f"To: <sip:200@{host}>",
        "Call-ID: gate-1",
        "CSeq: 1 INVITE",
        "Contact: <sip:101@192.0.2.50:5062>",
    ]
    if auth is not None:
        lines.append(f"{header}: {auth}")
    message = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(message, Request)
    return message


async def _provision(url: str, clock: ManualClock) -> None:
    database = Database(url)
    try:
        async with database.transaction() as session:
            ids: dict[str, int] = {}
            for domain, policy in (
                ("acme.test", DigestPolicy.COMPATIBLE),
                ("strict.test", DigestPolicy.REQUIRE_SHA256),
                ("modern.test", DigestPolicy.PREFER_SHA256),
            ):
                tenant = await tenant_service.create_tenant(
                    session, now=clock.utcnow(), name=domain, domain=domain,
                    extension_digits=3, max_calls=2,
                )  # fmt: skip
                tenant.digest_policy = policy
                ids[domain] = tenant.id
                scope = tenant_service.scope_of(session, tenant)
                for number in ("101", "102"):
                    await extension_service.create_extension(
                        scope, number=number, password=PASSWORD
                    )
            # acme 102 requires SHA-256 although its tenant is compatible; strict 101 relaxes
            for domain, number, policy in (
                ("acme.test", "102", DigestPolicy.REQUIRE_SHA256),
                ("strict.test", "101", DigestPolicy.COMPATIBLE),
            ):
                await session.execute(
                    update(Extension)
                    .where(Extension.tenant_id == ids[domain], Extension.number == number)
                    .values(digest_policy=policy)
                )
    finally:
        await database.dispose()


@pytest.fixture
async def setup(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Setup]:
    url = sqlite_url
    await _provision(url, clock)
    database = Database(url)
    failures = AuthFailureTracker(2, 60.0, 600.0)
    gate = DigestGate(
        Directory(database, clock.monotonic),
        DigestServer(b"k" * 32),  # the defaults a new installation runs with
        failures,
        lambda: clock.utcnow().timestamp(),
    )
    try:
        yield Setup(gate, failures, clock)
    finally:
        await database.dispose()


async def check(setup: Setup, request: Request, *, proxy: bool = True) -> Authenticated | AuthReply:
    from_host = request.from_.uri.host if request.from_ is not None else ""
    return await setup.gate.check(
        request,
        source_host=PHONE,
        hosts=[from_host, request.uri.host],
        proxy=proxy,
        method=request.method,
    )


def _challenges(
    reply: Authenticated | AuthReply, name: str = "Proxy-Authenticate"
) -> list[Challenge]:
    assert isinstance(reply, AuthReply), reply
    assert all(header == name for header, _ in reply.headers)
    return [parse_challenge(value) for _, value in reply.headers]


def _answer(challenge: Challenge, user: str = "101", password: str = PASSWORD) -> str:
    return answer_challenge(challenge, "INVITE", f"sip:200@{challenge.realm}", user, password)


def test_policy_algorithms() -> None:
    configured = ("MD5", "SHA-256")
    assert policy_algorithms("compatible", configured) == ("MD5", "SHA-256")
    assert policy_algorithms(None, configured) == ("MD5", "SHA-256")
    assert policy_algorithms("prefer-sha256", configured) == ("SHA-256", "MD5")
    assert policy_algorithms("require-sha256", configured) == ("SHA-256",)
    assert policy_algorithms("prefer-sha256", ("MD5",)) == ("SHA-256", "MD5")
    assert policy_algorithms("nonsense", configured) == ("MD5", "SHA-256")


async def test_md5_only_first_challenge_ua_succeeds_by_default(setup: Setup) -> None:
    reply = await check(setup, invite())
    assert isinstance(reply, AuthReply)
    assert (reply.status, reply.reason) == (407, "Proxy Authentication Required")
    challenges = _challenges(reply)
    assert [c.algorithm for c in challenges] == ["MD5", "SHA-256"]
    assert {c.realm for c in challenges} == {"acme.test"}
    # like sipp 3.6: take the FIRST challenge, compute MD5
    done = await check(setup, invite(auth=_answer(challenges[0])))
    assert isinstance(done, Authenticated)
    assert (done.tenant.domain, done.number, done.username, done.algorithm) == (
        "acme.test",
        "101",
        "101",
        "MD5",
    )
    assert setup.failures.banned(setup.now()) == {}


async def test_sha256_still_accepted_when_compatible(setup: Setup) -> None:
    challenges = _challenges(await check(setup, invite()))
    done = await check(setup, invite(auth=_answer(challenges[1])))
    assert isinstance(done, Authenticated)
    assert done.algorithm == "SHA-256"


async def test_tenant_prefers_sha256(setup: Setup) -> None:
    challenges = _challenges(await check(setup, invite(host="modern.test")))
    assert [c.algorithm for c in challenges] == ["SHA-256", "MD5"]
    done = await check(setup, invite(host="modern.test", auth=_answer(challenges[1])))
    assert isinstance(done, Authenticated)  # prefer: MD5 is still accepted
    assert done.algorithm == "MD5"


async def test_tenant_requires_sha256(setup: Setup) -> None:
    challenges = _challenges(await check(setup, invite("102", host="strict.test")))
    assert [c.algorithm for c in challenges] == ["SHA-256"]
    md5 = Challenge(challenges[0].realm, challenges[0].nonce, "MD5")
    again = await check(setup, invite("102", host="strict.test", auth=_answer(md5, "102")))
    assert [c.algorithm for c in _challenges(again)] == ["SHA-256"]  # never accepted
    assert setup.failures.banned(setup.now()) == {}  # and never counted as a failure
    ok = await check(setup, invite("102", host="strict.test", auth=_answer(challenges[0], "102")))
    assert isinstance(ok, Authenticated)
    assert ok.algorithm == "SHA-256"


async def test_device_overrides_its_tenant(setup: Setup) -> None:
    # acme 102 requires SHA-256 in a compatible tenant
    challenges = _challenges(await check(setup, invite("102")))
    assert [c.algorithm for c in challenges] == ["SHA-256"]
    # a challenge obtained under another From user (MD5 first) does not get it through
    md5_first = _challenges(await check(setup, invite("101")))[0]
    assert md5_first.algorithm == "MD5"
    again = await check(setup, invite("102", auth=_answer(md5_first, "102")))
    assert [c.algorithm for c in _challenges(again)] == ["SHA-256"]
    # strict 101 is compatible in a tenant requiring SHA-256
    relaxed = _challenges(await check(setup, invite("101", host="strict.test")))
    assert [c.algorithm for c in relaxed] == ["MD5", "SHA-256"]
    done = await check(setup, invite("101", host="strict.test", auth=_answer(relaxed[0])))
    assert isinstance(done, Authenticated)


async def test_bad_password_is_403_and_counted(setup: Setup) -> None:
    challenge = _challenges(await check(setup, invite()))[0]
    for attempt in range(2):
        reply = await check(setup, invite(auth=_answer(challenge, password="guess")))
        assert isinstance(reply, AuthReply)
        assert (reply.status, reply.reason, reply.headers) == (403, "Forbidden", []), attempt
    assert setup.failures.is_banned(PHONE, setup.now())


async def test_unknown_user_answering_is_403_and_counted(setup: Setup) -> None:
    challenge = _challenges(await check(setup, invite()))[0]
    reply = await check(setup, invite("999", auth=_answer(challenge, "999")))
    assert isinstance(reply, AuthReply)
    assert reply.status == 403
    assert not setup.failures.is_banned(PHONE, setup.now())
    await check(setup, invite("999", auth=_answer(challenge, "999")))
    assert setup.failures.is_banned(PHONE, setup.now())


async def test_stale_nonce_is_challenged_with_stale_true(setup: Setup) -> None:
    challenge = _challenges(await check(setup, invite()))[0]
    setup.clock.advance(3600)
    reply = await check(setup, invite(auth=_answer(challenge)))
    challenges = _challenges(reply)
    assert [c.stale for c in challenges] == [True, True]
    assert challenges[0].nonce != challenge.nonce
    assert setup.failures.banned(setup.now()) == {}


async def test_unknown_domain_is_404(setup: Setup) -> None:
    reply = await check(setup, invite(host="nowhere.test"))
    assert isinstance(reply, AuthReply)
    assert (reply.status, reply.reason) == (404, "Not Found (unknown domain)")


async def test_realm_in_proxy_authorization_names_the_tenant(setup: Setup) -> None:
    # a phone configured with the server's address: neither host is a tenant domain
    challenge = _challenges(await check(setup, invite()))[0]
    done = await check(setup, invite(host="127.0.0.1", auth=_answer(challenge)))
    assert isinstance(done, Authenticated)
    assert done.tenant.domain == "acme.test"


async def test_www_authenticate_mode(setup: Setup) -> None:
    reply = await check(setup, invite(), proxy=False)
    assert isinstance(reply, AuthReply)
    assert (reply.status, reply.reason) == (401, "Unauthorized")
    challenge = _challenges(reply, "WWW-Authenticate")[0]
    # credentials in the wrong header are not looked at: challenged again
    wrong = await check(setup, invite(auth=_answer(challenge)), proxy=False)
    assert isinstance(wrong, AuthReply)
    assert wrong.status == 401
    done = await check(setup, invite(auth=_answer(challenge), header="Authorization"), proxy=False)
    assert isinstance(done, Authenticated)

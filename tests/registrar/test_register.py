"""REGISTER processing against a real database (SQLite and PostgreSQL) with a manual clock:
tenant resolution and its fallback, digest (SHA-256 and MD5), 404/403/423/485, bans, events,
persistence across a restart."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import TenantStatus
from centrex.events import Event, RegistrationChanged
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import tenants as tenant_service
from centrex.registrar import (
    AuthFailureTracker,
    BindingStore,
    BindingWriter,
    Directory,
    Location,
    Registrar,
)
from centrex.sip.digest import DigestServer, answer_challenge, parse_challenge
from centrex.sip.events import RequestReceived
from centrex.sip.matching import ServerKey, server_key
from centrex.sip.message import Request, Response, parse_message

PASSWORD = "correct-horse-1"
SOURCE = ("192.0.2.50", 5062)


@dataclass
class Harness:
    database: Database
    clock: ManualClock
    registrar: Registrar
    acme_id: int
    beta_id: int
    responses: list[Response] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def respond(self, response: Response, transaction: ServerKey | None = None) -> None:
        self.responses.append(response)

    async def send(self, request: Request, source: tuple[str, int] = SOURCE) -> Response:
        key = server_key(request)
        await self.registrar.handle_register(RequestReceived(request, key, source, "UDP"))
        return self.responses[-1]

    async def register(
        self,
        user: str = "101",
        host: str = "acme.test",
        password: str = PASSWORD,
        source: tuple[str, int] = SOURCE,
        **kwargs: object,
    ) -> Response:
        """REGISTER, answer the 401 like a phone, return the final response."""
        call_id = str(kwargs.pop("call_id", secrets.token_hex(6)))
        first = await self.send(register(user, host, call_id=call_id, cseq=1, **kwargs), source)
        if first.status != 401:
            return first
        challenge = parse_challenge(first.headers.get_all("WWW-Authenticate")[0])
        auth = answer_challenge(challenge, "REGISTER", f"sip:{host}", user, password)
        request = register(user, host, call_id=call_id, cseq=2, auth=auth, **kwargs)
        return await self.send(request, source)


def register(
    user: str,
    host: str,
    *,
    call_id: str,
    cseq: int,
    contact: str = "<sip:{user}@192.0.2.50:5062>",
    expires: int | None = 600,
    auth: str | None = None,
) -> Request:
    lines = [
        f"REGISTER sip:{host} SIP/2.0",
        f"Via: SIP/2.0/UDP 192.0.2.50:5062;branch=z9hG4bK{secrets.token_hex(6)};rport",
        "Max-Forwards: 70",
        f"From: <sip:{user}@{host}>;tag=abc",
        f"To: <sip:{user}@{host}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} REGISTER",
        "User-Agent: unit-phone",
    ]
    if contact:
        lines.append("Contact: " + contact.format(user=user))
    if expires is not None:
        lines.append(f"Expires: {expires}")
    if auth is not None:
        lines.append(f"Authorization: {auth}")
    message = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(message, Request)
    return message


def build_registrar(database: Database, clock: ManualClock, harness_events: list[Event],
                    algorithms: tuple[str, ...] = ("SHA-256", "MD5")) -> Registrar:  # fmt: skip
    store = BindingStore(database)
    return Registrar(
        location=Location(),
        directory=Directory(database, clock.monotonic),
        store=store,
        writer=BindingWriter(store, interval=0.01),
        digest=DigestServer(b"k" * 32, algorithms=algorithms),
        failures=AuthFailureTracker(3, 60.0, 600.0),
        clock=lambda: clock.utcnow().timestamp(),
        publish=harness_events.append,
    )


@contextlib.asynccontextmanager
async def make_harness(
    url: str, clock: ManualClock, algorithms: tuple[str, ...] = ("SHA-256", "MD5")
) -> AsyncIterator[Harness]:
    database = Database(url)
    async with database.transaction() as session:
        ids = []
        for domain in ("acme.test", "beta.test"):
            tenant = await tenant_service.create_tenant(
                session, now=clock.utcnow(), name=domain, domain=domain,
                extension_digits=3, max_calls=2,
            )  # fmt: skip
            scope = tenant_service.scope_of(session, tenant)
            numbers = ("101", "102") if domain == "acme.test" else ("101", "201")
            for number in numbers:
                await extension_service.create_extension(scope, number=number, password=PASSWORD)
            ids.append(tenant.id)
    events: list[Event] = []
    registrar = build_registrar(database, clock, events, algorithms)
    h = Harness(database, clock, registrar, ids[0], ids[1], events=events)
    registrar.attach(h.respond)
    await registrar.start()
    try:
        yield h
    finally:
        await registrar.stop()
        await database.dispose()


@pytest.fixture
async def harness(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    """SQLite only: the protocol logic does not depend on the backend."""
    async with make_harness(sqlite_url, clock) as h:
        yield h


@pytest.fixture
async def any_harness(database_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    """SQLite and PostgreSQL: for what touches the database (lookups, persistence)."""
    async with make_harness(database_url, clock) as h:
        yield h


async def test_challenge_offers_sha256_then_md5(harness: Harness) -> None:
    response = await harness.send(register("101", "acme.test", call_id="c", cseq=1))
    assert response.status == 401
    challenges = [parse_challenge(v) for v in response.headers.get_all("WWW-Authenticate")]
    assert [c.algorithm for c in challenges] == ["SHA-256", "MD5"]
    assert {c.realm for c in challenges} == {"acme.test"}
    assert all(c.qop == "auth" for c in challenges)
    assert harness.registrar.failures.banned(0) == {}


@pytest.mark.parametrize("algorithm_index", [0, 1], ids=["sha256", "md5"])
async def test_register_with_either_algorithm(any_harness: Harness, algorithm_index: int) -> None:
    first = await any_harness.send(register("101", "acme.test", call_id="c", cseq=1))
    challenge = parse_challenge(first.headers.get_all("WWW-Authenticate")[algorithm_index])
    auth = answer_challenge(challenge, "REGISTER", "sip:acme.test", "101", PASSWORD)
    ok = await any_harness.send(register("101", "acme.test", call_id="c", cseq=2, auth=auth))
    assert ok.status == 200
    assert ok.headers.get_all("Contact") == ["<sip:101@192.0.2.50:5062>;expires=600"]
    assert ok.headers.get("Date") is not None
    (binding,) = any_harness.registrar.lookup(any_harness.acme_id, "101")
    assert binding.source == SOURCE
    assert binding.user_agent == "unit-phone"
    event = any_harness.events[-1]
    assert isinstance(event, RegistrationChanged)
    assert (event.tenant_id, event.aor, event.expires) == (
        any_harness.acme_id,
        "sip:101@acme.test",
        600,
    )


async def test_200_lists_every_binding(harness: Harness) -> None:
    await harness.register(contact="<sip:101@192.0.2.50:5062>;q=0.5", call_id="one")
    ok = await harness.register(contact="<sip:101@198.51.100.7>", call_id="two", expires=300)
    assert ok.status == 200
    assert sorted(ok.headers.get_all("Contact")) == [
        "<sip:101@192.0.2.50:5062>;expires=600;q=0.5",
        "<sip:101@198.51.100.7>;expires=300",
    ]


async def test_query_without_contact_lists_bindings(harness: Harness) -> None:
    await harness.register()
    ok = await harness.register(contact="", expires=None)
    assert ok.status == 200
    assert ok.headers.get_all("Contact") == ["<sip:101@192.0.2.50:5062>;expires=600"]


async def test_unknown_domain_404_and_suspended_tenant_403(any_harness: Harness) -> None:
    response = await any_harness.send(register("101", "nowhere.test", call_id="x", cseq=1))
    assert response.status == 404
    async with any_harness.database.transaction() as session:
        tenant = await tenant_service.get_tenant(session, "beta.test")
        await tenant_service.set_status(
            session, tenant, TenantStatus.SUSPENDED, now=any_harness.clock.utcnow()
        )
    response = await any_harness.send(register("201", "beta.test", call_id="y", cseq=1))
    assert response.status == 403


async def test_wrong_password_403_and_ban_but_challenges_never_count(harness: Harness) -> None:
    attacker = ("203.0.113.9", 5060)
    for _ in range(10):  # challenges alone never ban
        await harness.send(register("101", "acme.test", call_id="c", cseq=1), attacker)
    assert not harness.registrar.failures.is_banned(attacker[0], harness.clock.utcnow().timestamp())
    for attempt in range(3):
        response = await harness.register(password="guess", source=attacker)
        assert response.status == 403, attempt
    now = harness.clock.utcnow().timestamp()
    assert harness.registrar.failures.is_banned(attacker[0], now)
    assert not harness.registrar.failures.is_banned(SOURCE[0], now)
    assert harness.registrar.lookup(harness.acme_id, "101") == []


async def test_unknown_user_answering_a_challenge_is_a_failure(harness: Harness) -> None:
    response = await harness.register(user="999")
    assert response.status == 403


async def test_user_may_only_register_its_own_aor(harness: Harness) -> None:
    first = await harness.send(register("102", "acme.test", call_id="c", cseq=1))
    challenge = parse_challenge(first.headers.get_all("WWW-Authenticate")[0])
    auth = answer_challenge(challenge, "REGISTER", "sip:acme.test", "101", PASSWORD)
    response = await harness.send(register("102", "acme.test", call_id="c", cseq=2, auth=auth))
    assert response.status == 403
    assert "address-of-record" in response.reason


async def test_stale_nonce_gets_stale_true(harness: Harness) -> None:
    first = await harness.send(register("101", "acme.test", call_id="c", cseq=1))
    challenge = parse_challenge(first.headers.get_all("WWW-Authenticate")[0])
    harness.clock.advance(3600)
    auth = answer_challenge(challenge, "REGISTER", "sip:acme.test", "101", PASSWORD)
    response = await harness.send(register("101", "acme.test", call_id="c", cseq=2, auth=auth))
    assert response.status == 401
    assert "stale=true" in response.headers.get_all("WWW-Authenticate")[0]


async def test_replayed_nonce_count_is_challenged_again(harness: Harness) -> None:
    first = await harness.send(register("101", "acme.test", call_id="c", cseq=1))
    challenge = parse_challenge(first.headers.get_all("WWW-Authenticate")[0])
    auth = answer_challenge(challenge, "REGISTER", "sip:acme.test", "101", PASSWORD, cnonce="x")
    ok = await harness.send(register("101", "acme.test", call_id="c", cseq=2, auth=auth))
    assert ok.status == 200
    again = await harness.send(register("101", "acme.test", call_id="c", cseq=3, auth=auth))
    assert again.status == 401


async def test_interval_too_brief(harness: Harness) -> None:
    response = await harness.register(expires=10)
    assert response.status == 423
    assert response.headers.get("Min-Expires") == "60"


async def test_wildcard_unregisters_everything(harness: Harness) -> None:
    await harness.register(contact="<sip:101@192.0.2.50:5062>", call_id="a")
    await harness.register(contact="<sip:101@198.51.100.7>", call_id="b")
    assert len(harness.registrar.lookup(harness.acme_id, "101")) == 2
    response = await harness.register(contact="*", expires=0, call_id="c")
    assert response.status == 200
    assert response.headers.get_all("Contact") == []
    assert harness.registrar.lookup(harness.acme_id, "101") == []
    assert [e.expires for e in harness.events if isinstance(e, RegistrationChanged)][-2:] == [0, 0]


async def test_ip_address_fallback_unique_user(any_harness: Harness) -> None:
    # 102 exists only in acme.test: a phone that only knows the server's IP still registers
    response = await any_harness.register(user="102", host="192.0.2.1")
    assert response.status == 200
    (binding,) = any_harness.registrar.lookup(any_harness.acme_id, "102")
    assert binding.aor == "sip:102@acme.test"


async def test_ip_address_fallback_ambiguous_user_485(harness: Harness) -> None:
    response = await harness.send(register("101", "192.0.2.1", call_id="c", cseq=1))
    assert response.status == 485


async def test_ip_address_fallback_realm_names_the_tenant(harness: Harness) -> None:
    # an ambiguous user answering a challenge of beta.test: the realm picks the tenant
    first = await harness.send(register("201", "beta.test", call_id="c", cseq=1))
    challenge = parse_challenge(first.headers.get_all("WWW-Authenticate")[0])
    auth = answer_challenge(challenge, "REGISTER", "sip:192.0.2.1", "101", PASSWORD)
    response = await harness.send(register("101", "192.0.2.1", call_id="c", cseq=2, auth=auth))
    assert response.status == 200
    assert len(harness.registrar.lookup(harness.beta_id, "101")) == 1
    assert harness.registrar.lookup(harness.acme_id, "101") == []


async def test_bindings_survive_a_restart(any_harness: Harness) -> None:
    await any_harness.register(contact="<sip:101@192.0.2.50:5062>;q=0.7", call_id="a")
    await any_harness.register(user="102", contact="<sip:102@192.0.2.51>", call_id="b", expires=60)
    await any_harness.register(user="102", contact="<sip:102@192.0.2.52>", call_id="c")
    await any_harness.registrar.stop()  # flushes the write-behind queue
    any_harness.clock.advance(61)  # 102's first binding expires while we are down
    events: list[Event] = []
    again = build_registrar(any_harness.database, any_harness.clock, events)
    await again.start()
    try:
        (one,) = again.lookup(any_harness.acme_id, "101")
        assert (one.contact, one.q, one.source) == ("sip:101@192.0.2.50:5062", 0.7, SOURCE)
        assert one.remaining(any_harness.clock.utcnow().timestamp()) == 600 - 61
        assert [b.contact for b in again.lookup(any_harness.acme_id, "102")] == [
            "sip:102@192.0.2.52"
        ]
        items = again.registrations(any_harness.acme_id)
        assert {i["contact"] for i in items} == {"sip:101@192.0.2.50:5062", "sip:102@192.0.2.52"}
        assert again.registrations(any_harness.beta_id) == []
    finally:
        await again.stop()
    await any_harness.registrar.start()


async def test_sweep_removes_and_persists_expired(any_harness: Harness) -> None:
    await any_harness.register(expires=60)
    any_harness.clock.advance(61)
    gone = any_harness.registrar.sweep()
    assert [b.user for b in gone] == ["101"]
    await any_harness.registrar.writer.flush()
    assert (
        await BindingStore(any_harness.database).load(any_harness.clock.utcnow().timestamp()) == []
    )

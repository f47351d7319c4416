"""The browser softphone's phone credential at the digest gate, against a real database: the
short-lived secret registers (and authenticates an INVITE as) its own extension only, in its own
tenant only, until it expires; the extension's SIP password keeps working beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from centrex.clock import ManualClock
from centrex.data.models import Extension, User
from centrex.provisioning import phone_credentials as service
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from centrex.registrar.phone_secrets import PhoneSecretLookup
from centrex.sip.digest import answer_challenge, parse_challenge
from centrex.sip.message import Request, parse_message
from tests.registrar.test_register import PASSWORD, Harness, make_harness, register


async def _issue(h: Harness, domain: str, number: str) -> str:
    """A user owning `number` of `domain` asks for a phone credential; returns the secret."""
    async with h.database.transaction() as session:
        scope = await tenant_service.scope_for(session, domain)
        user = await user_service.create_user(
            scope, name=f"Owner {number}", email=f"u{number}@{domain}"
        )
        extension = await scope.first(Extension, Extension.number == number)
        assert extension is not None
        extension.user_id = user.id
        await session.flush()
        issued = await service.issue_phone_credential(scope, user_id=user.id, now=h.clock.utcnow())
    assert (issued.number, issued.domain) == (number, domain)
    assert issued.sip_uri == f"sip:{number}@{domain}"
    return issued.secret


@pytest.fixture
async def phone(database_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    """SQLite and PostgreSQL: the secrets are looked up in the database."""
    async with make_harness(database_url, clock) as h:
        h.registrar.gate.extra_secrets = PhoneSecretLookup(h.database)
        yield h


@pytest.mark.parametrize("algorithm_index", [0, 1], ids=["sha256", "md5"])
async def test_the_secret_registers_its_extension(phone: Harness, algorithm_index: int) -> None:
    secret = await _issue(phone, "acme.test", "101")
    first = await phone.send(register("101", "acme.test", call_id="c", cseq=1))
    challenge = parse_challenge(first.headers.get_all("WWW-Authenticate")[algorithm_index])
    auth = answer_challenge(challenge, "REGISTER", "sip:acme.test", "101", secret)
    ok = await phone.send(register("101", "acme.test", call_id="c", cseq=2, auth=auth))
    assert ok.status == 200
    assert [b.user for b in phone.registrar.lookup(phone.acme_id, "101")] == ["101"]
    # the SIP password of the extension still works beside it
    assert (await phone.register(password=PASSWORD, call_id="desk")).status == 200


async def test_the_secret_is_no_password_of_another_extension(phone: Harness) -> None:
    secret = await _issue(phone, "acme.test", "101")
    assert (await phone.register("102", password=secret)).status == 403
    assert phone.registrar.lookup(phone.acme_id, "102") == []


async def test_the_secret_is_no_password_in_another_tenant(phone: Harness) -> None:
    """beta.test has an extension 101 too: A's secret for 101 does not register it."""
    secret = await _issue(phone, "acme.test", "101")
    assert (await phone.register("101", "beta.test", password=secret)).status == 403
    assert phone.registrar.lookup(phone.beta_id, "101") == []
    beta_secret = await _issue(phone, "beta.test", "101")
    assert (await phone.register("101", "acme.test", password=beta_secret)).status == 403
    assert (await phone.register("101", "beta.test", password=beta_secret)).status == 200


async def test_the_secret_expires(phone: Harness) -> None:
    secret = await _issue(phone, "acme.test", "101")
    phone.clock.advance(service.PHONE_CREDENTIAL_TTL.total_seconds() - 60)
    assert (await phone.register(password=secret, call_id="before")).status == 200
    phone.clock.advance(61)
    assert (await phone.register(password=secret, call_id="after")).status == 403
    assert (await phone.register(password="not-the-secret", call_id="wrong")).status == 403


async def test_a_wrong_secret_counts_as_a_failure(phone: Harness) -> None:
    await _issue(phone, "acme.test", "101")
    assert (await phone.register(password="guess-1234567")).status == 403
    now = phone.clock.utcnow().timestamp()
    assert not phone.registrar.failures.is_banned("192.0.2.50", now)  # below the threshold
    for attempt in range(3):
        await phone.register(password=f"guess-{attempt}", call_id=f"g{attempt}")
    assert phone.registrar.failures.is_banned("192.0.2.50", phone.clock.utcnow().timestamp())


def _invite(auth: str | None) -> Request:
    lines = [
        "INVITE sip:102@acme.test SIP/2.0",
        "Via: SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKinvite1",
        "Max-Forwards: 70",
        "From: <sip:101@acme.test>;tag=caller",
        "To: <sip:102@acme.test>",
        "Call-ID: invite-1",
        "CSeq: 1 INVITE",
        "Contact: <sip:abc@df7jal23ls0d.invalid;transport=ws>",
    ]
    if auth:
        lines.append(f"Proxy-Authorization: {auth}")
    message = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(message, Request)
    return message


async def test_the_secret_authenticates_an_invite(phone: Harness) -> None:
    """The call layer asks the same gate (407 / Proxy-Authorization) for an INVITE."""
    secret = await _issue(phone, "acme.test", "101")
    gate = phone.registrar.gate
    kwargs = {"source_host": "127.0.0.9", "hosts": ["acme.test"], "proxy": True, "method": "INVITE"}
    challenged = await gate.check(_invite(None), **kwargs)  # type: ignore[arg-type]
    assert challenged.status == 407  # type: ignore[union-attr]
    challenge = parse_challenge(challenged.headers[0][1])  # type: ignore[union-attr]
    auth = answer_challenge(challenge, "INVITE", "sip:102@acme.test", "101", secret)
    checked = await gate.check(_invite(auth), **kwargs)  # type: ignore[arg-type]
    assert getattr(checked, "number", None) == "101"
    wrong = answer_challenge(challenge, "INVITE", "sip:102@acme.test", "101", "x" + secret)
    assert (await gate.check(_invite(wrong), **kwargs)).status == 403  # type: ignore[arg-type,union-attr]


async def test_issuing_keeps_few_live_secrets(phone: Harness) -> None:
    """Every issue deletes expired secrets and keeps at most a few live ones per extension."""
    first = await _issue(phone, "acme.test", "101")
    async with phone.database.transaction() as session:
        scope = await tenant_service.scope_for(session, "acme.test")
        owner = await scope.first(User, User.email == "u101@acme.test")
        assert owner is not None
        for _ in range(service.MAX_LIVE_PER_EXTENSION + 2):
            phone.clock.advance(1)
            latest = await service.issue_phone_credential(
                scope, user_id=owner.id, now=phone.clock.utcnow()
            )
    lookup = PhoneSecretLookup(phone.database)
    ha1s = await lookup.ha1s(phone.acme_id, "101", "MD5", phone.clock.utcnow().timestamp())
    assert len(ha1s) == service.MAX_LIVE_PER_EXTENSION
    assert (await phone.register(password=first, call_id="oldest")).status == 403
    assert (await phone.register(password=latest.secret, call_id="newest")).status == 200


async def test_the_secret_dies_when_the_extension_changes_hands(phone: Harness) -> None:
    secret = await _issue(phone, "acme.test", "101")
    assert (await phone.register(password=secret, call_id="owner")).status == 200
    async with phone.database.transaction() as session:
        scope = await tenant_service.scope_for(session, "acme.test")
        extension = await scope.first(Extension, Extension.number == "101")
        assert extension is not None
        extension.user_id = None  # an administrator takes the extension away from the user
    assert (await phone.register(password=secret, call_id="former")).status == 403

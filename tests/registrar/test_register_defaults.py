"""The registrar with the defaults a new installation runs with: a phone that reads only the
first challenge and knows only MD5 (sipp 3.6, many deployed phones) registers; a tenant that
requires SHA-256 offers only SHA-256; log lines written while a REGISTER is handled carry its
tenant (and the context is restored afterwards)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import update

from centrex.clock import ManualClock
from centrex.data.models import DigestPolicy, Tenant
from centrex.logs import ContextFilter, current_tenant
from centrex.settings import Settings
from centrex.sip.digest import DigestServer, answer_challenge, parse_challenge
from tests.registrar.test_register import PASSWORD, Harness, make_harness, register

DEFAULT = DigestServer(b"k" * 32).algorithms


@pytest.fixture
async def harness(sqlite_url: str, clock: ManualClock) -> AsyncIterator[Harness]:
    async with make_harness(sqlite_url, clock, algorithms=DEFAULT) as h:
        yield h


def test_defaults_offer_md5_first() -> None:
    assert DEFAULT == ("MD5", "SHA-256")
    assert Settings().sip_digest_algorithms.split(",") == ["MD5", "SHA-256"]


async def test_md5_only_first_challenge_phone_registers(harness: Harness) -> None:
    first = await harness.send(register("101", "acme.test", call_id="c", cseq=1))
    assert first.status == 401
    values = first.headers.get_all("WWW-Authenticate")
    assert [parse_challenge(v).algorithm for v in values] == ["MD5", "SHA-256"]
    auth = answer_challenge(parse_challenge(values[0]), "REGISTER", "sip:acme.test", "101",
                            PASSWORD)  # fmt: skip
    assert "algorithm=MD5" in auth
    ok = await harness.send(register("101", "acme.test", call_id="c", cseq=2, auth=auth))
    assert ok.status == 200
    assert len(harness.registrar.lookup(harness.acme_id, "101")) == 1


async def test_tenant_requiring_sha256_refuses_md5(harness: Harness) -> None:
    async with harness.database.transaction() as session:
        await session.execute(
            update(Tenant)
            .where(Tenant.id == harness.beta_id)
            .values(digest_policy=DigestPolicy.REQUIRE_SHA256)
        )
    first = await harness.send(register("101", "beta.test", call_id="c", cseq=1))
    values = first.headers.get_all("WWW-Authenticate")
    assert [parse_challenge(v).algorithm for v in values] == ["SHA-256"]
    sha = parse_challenge(values[0])
    md5 = type(sha)(sha.realm, sha.nonce, "MD5")
    auth = answer_challenge(md5, "REGISTER", "sip:beta.test", "101", PASSWORD)
    again = await harness.send(register("101", "beta.test", call_id="c", cseq=2, auth=auth))
    assert again.status == 401
    assert harness.registrar.lookup(harness.beta_id, "101") == []
    auth = answer_challenge(sha, "REGISTER", "sip:beta.test", "101", PASSWORD)
    ok = await harness.send(register("101", "beta.test", call_id="c", cseq=3, auth=auth))
    assert ok.status == 200


async def test_log_lines_during_register_carry_the_tenant(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO, logger="centrex.registrar")
    response = await harness.register(password="guess")  # the gate logs the failure
    assert response.status == 403
    failures = [r for r in caplog.records if "authentication failure" in r.getMessage()]
    assert failures
    assert {getattr(r, "tenant", None) for r in failures} == {"acme.test"}
    assert current_tenant.get() == "-"  # reset once the REGISTER is answered

"""The rules of forward destinations (calls/features/forward_config.py), at the call layer's
own level: what is accepted and how it is normalised, what is refused and with which error_id,
that a normalised destination is a fixed point (checking it again gives it back), that nothing
outside the scope's tenant is ever a destination, and what `set_forward`/`clear_forward` write.

The API and CLI tests (tests/api/test_forwarding_api.py, tests/cli/test_cli_forwarding.py)
show the same rules through their faces; here every branch is pinned, and Hypothesis throws
arbitrary dial strings at the checker, which must answer with a normalised destination or a
`ValidationFailed` with a known error_id, never anything else.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from centrex.calls.features import forward_config as rules
from centrex.calls.features.forward_config import ExtensionForwarding, ForwardKind
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import CallFlow, Extension, RingGroup
from centrex.errors import ValidationFailed
from centrex.provisioning import extensions, tenants

ACME = "acme.test"
BETA = "beta.test"
ERROR_IDS = {
    "forward-destination-missing",
    "forward-destination-unknown",
    "forward-destination-undialable",
    "forward-no-mailbox",
    "forward-loop",
}


async def _provision(database: Database) -> None:
    """acme (CH, 3 digits): 101 with a mailbox, 102, 103, flow "Main"; beta: 201, flow "Night"."""
    now = ManualClock().utcnow()
    async with database.transaction() as session:
        acme = await tenants.create_tenant(
            session, now=now, name="Acme", domain=ACME, extension_digits=3, max_calls=4
        )
        scope = tenants.scope_of(session, acme)
        for number in ("101", "102", "103"):
            await extensions.create_extension(
                scope, number=number, password="secret-pass-1", voicemail=number == "101"
            )
        scope.add(CallFlow(name="Main", graph={"start": "x", "nodes": {}}))
        scope.add(RingGroup(number="600", name="Sales"))
        scope.add(RingGroup(number="60", name="Short"))
        beta = await tenants.create_tenant(
            session, now=now, name="Beta", domain=BETA, extension_digits=3, max_calls=4
        )
        other = tenants.scope_of(session, beta)
        await extensions.create_extension(
            other, number="201", password="secret-pass-2", voicemail=False
        )
        other.add(CallFlow(name="Night", graph={"start": "x", "nodes": {}}))
        other.add(RingGroup(number="650", name="Beta's"))


@pytest.fixture
async def database(sqlite_url: str) -> AsyncIterator[Database]:
    db = Database(sqlite_url)
    await _provision(db)
    try:
        yield db
    finally:
        await db.dispose()


async def _check(database: Database, number: str, text: str, domain: str = ACME) -> str:
    async with database.session() as session:
        scope = tenants.scope_of(session, await tenants.get_tenant(session, domain))
        extension = await scope.first(Extension, Extension.number == number)
        assert extension is not None
        return await rules.check_destination(scope, extension, text)


async def _refusal(database: Database, number: str, text: str, domain: str = ACME) -> str:
    with pytest.raises(ValidationFailed) as caught:
        await _check(database, number, text, domain)
    assert caught.value.field == "destination"
    return caught.value.error_id


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("102", "102"),
        ("  103 ", "103"),
        ("voicemail", "voicemail"),
        ("VoiceMail", "voicemail"),
        ("flow:Main", "flow:Main"),
        ("600", "600"),  # the tenant's ring group
        ("60", "60"),  # a ring group number need not have the extensions' length
        ("FLOW:  Main ", "flow:Main"),
        ("044 668 18 00", "+41446681800"),  # national, in the tenant's country (CH)
        ("044-668.18/00", "+41446681800"),  # visual separators a phone may send
        ("+41 44 668 18 00", "+41446681800"),
        ("+33 1 42 68 53 00", "+33142685300"),  # abroad stays abroad
    ],
)
async def test_accepted_destinations_are_stored_normalised(
    database: Database, text: str, stored: str
) -> None:
    assert await _check(database, "101", text) == stored


@pytest.mark.parametrize(
    ("number", "text", "error_id"),
    [
        ("101", "", "forward-destination-missing"),
        ("101", "   ", "forward-destination-missing"),
        ("101", "101", "forward-loop"),  # an extension never forwards to itself
        ("101", "104", "forward-destination-unknown"),
        ("101", "201", "forward-destination-unknown"),  # beta's 201 does not exist for acme
        ("102", "voicemail", "forward-no-mailbox"),  # 102 has no mailbox of its own
        ("101", "flow:", "forward-destination-unknown"),
        ("101", "flow:Night", "forward-destination-unknown"),  # beta's flow
        ("101", "650", "forward-destination-unknown"),  # beta's ring group
        ("101", "flow:main", "forward-destination-unknown"),  # names are exact
        ("101", "112", "forward-destination-undialable"),  # emergency: never a forward
        ("101", "1 4 4", "forward-destination-undialable"),  # emergency, spaced out
        ("101", "117", "forward-destination-undialable"),
        ("101", "12", "forward-destination-undialable"),  # too short for anything
        ("101", "sip:bob@example.com", "forward-destination-undialable"),
        ("101", "*72", "forward-destination-undialable"),
    ],
)
async def test_refused_destinations_say_why(
    database: Database, number: str, text: str, error_id: str
) -> None:
    assert await _refusal(database, number, text) == error_id


async def test_beta_sees_only_its_own_extensions_and_flows(database: Database) -> None:
    assert await _check(database, "201", "flow:Night", BETA) == "flow:Night"
    assert await _refusal(database, "201", "flow:Main", BETA) == "forward-destination-unknown"
    assert await _refusal(database, "201", "102", BETA) == "forward-destination-unknown"
    assert await _refusal(database, "201", "voicemail", BETA) == "forward-no-mailbox"


DIAL_STRINGS = st.one_of(
    st.text(alphabet="0123456789+ -().#*", max_size=16),
    st.text(alphabet="0123456789", min_size=1, max_size=13),
    st.sampled_from(
        [
            "voicemail",
            "VOICEMAIL",
            "flow:Main",
            "flow:Night",
            "flow: Main",
            "101",
            "102",
            "201",
            "112",
            "0446681800",
            "+41446681800",
        ]
    ),
    st.text(max_size=12),
)


def test_any_dial_string_is_a_normalised_destination_or_a_known_refusal(sqlite_url: str) -> None:
    """Property: for every string, the checker either refuses it with one of its error_ids or
    returns a destination of one of the four stored forms, within acme, that checks to itself
    again (so what the API stored is what the router will find)."""
    with asyncio.Runner() as runner:
        database = Database(sqlite_url)
        runner.run(_provision(database))
        seen: set[str] = set()

        @settings(max_examples=200, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
        @given(text=DIAL_STRINGS)
        def check(text: str) -> None:
            stored = ""
            try:
                stored = runner.run(_check(database, "101", text))
            except ValidationFailed as exc:
                refusal: str | None = exc.error_id
            else:
                refusal = None
            if refusal is not None:
                assert refusal in ERROR_IDS, refusal
                seen.add(refusal)
                return
            assert stored in ("102", "103", "600", "60", "voicemail", "flow:Main") or (
                stored.startswith("+") and stored[1:].isdigit() and len(stored) <= 16
            ), stored
            assert runner.run(_check(database, "101", stored)) == stored
            seen.add("accepted")

        try:
            check()
        finally:
            runner.run(database.dispose())
        assert {"accepted", "forward-destination-undialable"} <= seen


async def _stored(database: Database, number: str) -> Extension:
    async with database.session() as session:
        row = (await session.scalars(select(Extension).where(Extension.number == number))).all()
        acme = await tenants.get_tenant(session, ACME)
        (extension,) = [e for e in row if e.tenant_id == acme.id]
        return extension


async def test_set_forward_writes_the_normalised_destination_per_kind(database: Database) -> None:
    async with database.transaction() as session:
        scope = tenants.scope_of(session, await tenants.get_tenant(session, ACME))
        ext = await extensions.get_extension(scope, "101")
        await rules.set_forward(scope, ext, ForwardKind.ALWAYS, "102")
        await rules.set_forward(scope, ext, ForwardKind.BUSY, "voicemail")
        await rules.set_forward(scope, ext, ForwardKind.NO_ANSWER, "044 668 18 00", seconds=35)
        await rules.set_forward(scope, ext, ForwardKind.UNREGISTERED, "flow:Main")
    ext = await _stored(database, "101")
    assert rules.forwarding_view(ext) == {
        "always": "102", "busy": "voicemail", "no_answer": "+41446681800",
        "no_answer_seconds": 35, "unregistered": "flow:Main",
    }  # fmt: skip
    snap = rules.snapshot(ext)
    assert [snap.target(kind) for kind in ForwardKind] == [
        "102", "voicemail", "+41446681800", "flow:Main",
    ]  # fmt: skip
    assert snap.no_answer_seconds == 35


async def test_clearing_one_kind_or_all(database: Database) -> None:
    async with database.transaction() as session:
        scope = tenants.scope_of(session, await tenants.get_tenant(session, ACME))
        ext = await extensions.get_extension(scope, "101")
        await rules.set_forward(scope, ext, ForwardKind.ALWAYS, "102")
        await rules.set_forward(scope, ext, ForwardKind.NO_ANSWER, "103", seconds=9)
        await rules.clear_forward(scope, ext, ForwardKind.NO_ANSWER)
    ext = await _stored(database, "101")
    assert (ext.forward_always, ext.forward_no_answer, ext.forward_no_answer_seconds) == (
        "102", None, None,
    )  # fmt: skip
    assert rules.forwarding_view(ext)["no_answer_seconds"] == rules.DEFAULT_NO_ANSWER_SECONDS
    async with database.transaction() as session:
        scope = tenants.scope_of(session, await tenants.get_tenant(session, ACME))
        ext = await extensions.get_extension(scope, "101")
        await rules.set_forward(scope, ext, ForwardKind.BUSY, "103")
        await rules.clear_forward(scope, ext, None)
    ext = await _stored(database, "101")
    assert rules.snapshot(ext) == ExtensionForwarding(number="101")


@pytest.mark.parametrize("seconds", [0, 301, -5])
async def test_out_of_range_seconds_write_nothing(database: Database, seconds: int) -> None:
    """The seconds are refused, and the destination given with them is not written either,
    even by a caller that goes on with its transaction after the refusal."""
    async with database.transaction() as session:
        scope = tenants.scope_of(session, await tenants.get_tenant(session, ACME))
        ext = await extensions.get_extension(scope, "101")
        with pytest.raises(ValidationFailed) as caught:
            await rules.set_forward(scope, ext, ForwardKind.NO_ANSWER, "102", seconds=seconds)
        assert caught.value.error_id == "forward-seconds-out-of-range"
        assert caught.value.field == "no_answer_seconds"
    ext = await _stored(database, "101")
    assert (ext.forward_no_answer, ext.forward_no_answer_seconds) == (None, None)


@pytest.mark.parametrize("seconds", [1, 300])
def test_the_seconds_bounds_are_inclusive(seconds: int) -> None:
    assert rules.check_seconds(seconds) == seconds


async def test_seconds_belong_to_no_answer_only(database: Database) -> None:
    async with database.transaction() as session:
        scope = tenants.scope_of(session, await tenants.get_tenant(session, ACME))
        ext = await extensions.get_extension(scope, "101")
        with pytest.raises(ValidationFailed) as caught:
            await rules.set_forward(scope, ext, ForwardKind.BUSY, "102", seconds=10)
        assert caught.value.error_id == "forward-seconds-without-no-answer"
    assert (await _stored(database, "101")).forward_busy is None


async def test_an_extension_of_another_tenant_cannot_be_changed_through_our_scope(
    database: Database,
) -> None:
    async with database.transaction() as session:
        beta = tenants.scope_of(session, await tenants.get_tenant(session, BETA))
        theirs = await extensions.get_extension(beta, "201")
        scope = tenants.scope_of(session, await tenants.get_tenant(session, ACME))
        with pytest.raises(ValidationFailed) as caught:
            await rules.set_forward(scope, theirs, ForwardKind.ALWAYS, "102")
        assert caught.value.error_id == "extension-not-found"
    async with database.session() as session:
        beta = tenants.scope_of(session, await tenants.get_tenant(session, BETA))
        assert (await extensions.get_extension(beta, "201")).forward_always is None


async def test_dnd_and_call_waiting_flags_and_their_snapshot(database: Database) -> None:
    ext = await _stored(database, "102")
    snap = rules.snapshot(ext)
    assert (snap.dnd, snap.call_waiting) == (False, True)  # the defaults of a new extension
    async with database.transaction() as session:
        scope = tenants.scope_of(session, await tenants.get_tenant(session, ACME))
        ext = await extensions.get_extension(scope, "102")
        await rules.set_dnd(scope, ext, True)
        await rules.set_call_waiting(scope, ext, False)
    snap = rules.snapshot(await _stored(database, "102"))
    assert (snap.dnd, snap.call_waiting) == (True, False)
    async with database.session() as session:
        scope = tenants.scope_of(session, await tenants.get_tenant(session, ACME))
        assert await rules.load(scope, "102") == snap
        assert await rules.load(scope, "201") is None  # beta's extension is not ours

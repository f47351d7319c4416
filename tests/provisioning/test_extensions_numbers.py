"""Extensions, SIP credentials, numbers and trunks."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select, text

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Number, NumberState, SipCredential, Trunk
from centrex.data.secrets_box import SecretBox
from centrex.errors import Conflict, NotFound, ValidationFailed
from centrex.provisioning import extensions, numbers, tenants, trunks
from centrex.provisioning.views import trunk_view


async def _tenant(db: Database, clock: ManualClock, domain: str, digits: int = 3) -> None:
    async with db.transaction() as session:
        await tenants.create_tenant(
            session,
            now=clock.utcnow(),
            name=domain,
            domain=domain,
            extension_digits=digits,
            max_calls=2,
        )


async def _dump_text(db: Database) -> str:
    """Every value of every table, as text: what an attacker with the database would see."""
    from centrex.data.models import Base

    chunks: list[str] = []
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(text(f"SELECT * FROM {table.name}"))).all()
            chunks.extend(repr(tuple(row)) for row in rows)
    return "\n".join(chunks)


async def test_sip_password_is_stored_only_as_ha1(db: Database, clock: ManualClock) -> None:
    await _tenant(db, clock, "a.example.com")
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        given = await extensions.create_extension(scope, number="101", password="Secret-Pass-101")
        generated = await extensions.create_extension(scope, number="102")
    assert given.generated_password is None
    assert generated.generated_password is not None
    assert len(generated.generated_password) >= 16
    dump = await _dump_text(db)
    assert "Secret-Pass-101" not in dump
    assert generated.generated_password not in dump
    async with db.session() as session:
        cred = (
            await session.scalars(select(SipCredential).where(SipCredential.username == "101"))
        ).one()
    expected_md5 = hashlib.md5(b"101:a.example.com:Secret-Pass-101").hexdigest()
    expected_sha = hashlib.sha256(b"101:a.example.com:Secret-Pass-101").hexdigest()
    assert (cred.ha1_md5, cred.ha1_sha256, cred.realm) == (
        expected_md5,
        expected_sha,
        "a.example.com",
    )


async def test_extension_rules(db: Database, clock: ManualClock) -> None:
    await _tenant(db, clock, "a.example.com", digits=4)
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        await extensions.create_extension(scope, number="1001")
    for number, error in [
        ("101", ValidationFailed),
        ("10a1", ValidationFailed),
        ("1001", Conflict),
    ]:
        with pytest.raises(error):
            async with db.transaction() as session:
                scope = await tenants.scope_for(session, "a.example.com")
                await extensions.create_extension(scope, number=number)
    with pytest.raises(ValidationFailed, match="8 characters"):
        async with db.transaction() as session:
            scope = await tenants.scope_for(session, "a.example.com")
            await extensions.create_extension(scope, number="1002", password="short")


async def test_numbers_assignment_and_conflicts(db: Database, clock: ManualClock) -> None:
    await _tenant(db, clock, "a.example.com")
    await _tenant(db, clock, "b.example.com")
    async with db.transaction() as session:
        _range, size = await numbers.add_range(session, "+41215550100", "+41215550199")
        assert size == 100
        a = await tenants.scope_for(session, "a.example.com")
        await extensions.create_extension(a, number="101")
        assigned = await numbers.assign_number(
            a, "+41 21 555 01 05", now=clock.utcnow(), extension_number="101"
        )
        assert assigned.e164 == "+41215550105"
        assert assigned.state is NumberState.ASSIGNED
        local = await numbers.assign_number(a, "021 555 01 06", now=clock.utcnow(), country="CH")
        assert local.e164 == "+41215550106"
    with pytest.raises(Conflict) as info:
        async with db.transaction() as session:
            b = await tenants.scope_for(session, "b.example.com")
            await numbers.assign_number(b, "+41215550105", now=clock.utcnow())
    assert info.value.error_id == "number-taken"
    with pytest.raises(ValidationFailed):
        async with db.transaction() as session:
            b = await tenants.scope_for(session, "b.example.com")
            await numbers.assign_number(b, "12ab", now=clock.utcnow())
    with pytest.raises(NotFound):
        async with db.transaction() as session:
            b = await tenants.scope_for(session, "b.example.com")
            await numbers.assign_number(
                b, "+41215550107", now=clock.utcnow(), extension_number="101"
            )
    async with db.session() as session:
        b = await tenants.scope_for(session, "b.example.com")
        assert await numbers.list_numbers(b) == []
        free = await session.scalar(select(Number).where(Number.e164 == "+41215550107"))
        assert free is not None
        assert free.state is NumberState.FREE
        assert free.tenant_id is None


async def test_released_number_ages_and_cannot_be_reassigned(
    db: Database, clock: ManualClock
) -> None:
    await _tenant(db, clock, "a.example.com")
    await _tenant(db, clock, "b.example.com")
    async with db.transaction() as session:
        a = await tenants.scope_for(session, "a.example.com")
        await numbers.assign_number(a, "+41215550150", now=clock.utcnow())
        released = await numbers.release_number(a, "+41215550150", now=clock.utcnow())
        assert released.state is NumberState.AGEING
    with pytest.raises(Conflict):
        async with db.transaction() as session:
            b = await tenants.scope_for(session, "b.example.com")
            await numbers.assign_number(b, "+41215550150", now=clock.utcnow())


async def test_overlapping_ranges_are_refused(db: Database) -> None:
    async with db.transaction() as session:
        await numbers.add_range(session, "+41215550100", "+41215550199")
    with pytest.raises(Conflict):
        async with db.transaction() as session:
            await numbers.add_range(session, "+41215550150", "+41215550250")
    with pytest.raises(ValidationFailed):
        async with db.transaction() as session:
            await numbers.add_range(session, "+41215550300", "+41215550200")


async def test_trunk_password_encrypted_and_never_shown(db: Database, tmp_path: object) -> None:
    box = SecretBox("test-key")
    async with db.transaction() as session:
        trunk = await trunks.create_trunk(
            session,
            box,
            name="primary",
            host="127.0.0.1",
            port=5070,
            username="acct",
            password="carrier-secret",
        )
        await trunks.create_trunk(session, box, name="backup", host="sip.example.net", priority=2)
        await trunks.create_route(session, name="all", prefix="", trunk_names=["primary", "backup"])
    assert "carrier-secret" not in await _dump_text(db)
    assert "carrier-secret" not in repr(trunk_view(trunk))
    async with db.session() as session:
        stored = (await session.scalars(select(Trunk).where(Trunk.name == "primary"))).one()
        assert stored.password_encrypted is not None
        assert box.decrypt(stored.password_encrypted) == "carrier-secret"
        routes = await trunks.list_routes(session)
        assert [(r.name, [t.name for t in ts]) for r, ts in routes] == [
            ("all", ["primary", "backup"])
        ]
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("other-key").decrypt(stored.password_encrypted)
    for bad in ({"host": "bad host!"}, {"port": 70000}, {"priority": 0}, {"transport": "sctp"}):
        args: dict[str, object] = {"name": "x", "host": "127.0.0.1"}
        args.update(bad)
        with pytest.raises(ValidationFailed):
            async with db.transaction() as session:
                await trunks.create_trunk(session, box, **args)  # type: ignore[arg-type]

"""Every extension gets a voicemail box (issue 11, defect 4), on SQLite and PostgreSQL.

Before the fix only `POST /api/v1/voicemail/boxes` made a mailbox, so an extension created by
the CLI or the portal sent its callers to "mailbox unavailable".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import (
    Extension,
    GreetingKind,
    MediaFile,
    MediaKind,
    Number,
    VoicemailBox,
    VoicemailMessage,
)
from centrex.data.tenancy import TenantScope
from centrex.errors import NotFound
from centrex.provisioning import extensions, numbers, tenants
from centrex.provisioning import voicemail as vm
from centrex.provisioning.storage import MediaStore

NOW = ManualClock().utcnow()


async def _tenant(db: Database, clock: ManualClock, domain: str) -> None:
    async with db.transaction() as session:
        await tenants.create_tenant(
            session,
            now=clock.utcnow(),
            name=domain,
            domain=domain,
            extension_digits=3,
            max_calls=2,
        )


def test_generated_pins_are_six_digits() -> None:
    pins = {vm.generate_pin() for _ in range(200)}
    assert all(len(pin) == 6 and pin.isdigit() for pin in pins)
    assert len(pins) > 150  # random, not a constant or a counter


async def test_new_extension_has_a_mailbox_whose_pin_is_shown_once(
    db: Database, clock: ManualClock
) -> None:
    await _tenant(db, clock, "a.example.com")
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        created = await extensions.create_extension(
            scope, number="101", email="alice@a.example.com"
        )
    pin = created.voicemail_pin
    assert pin is not None
    assert len(pin) == 6
    assert pin.isdigit()
    async with db.session() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        box = await vm.mailbox_for_extension(scope, "101")
        assert box is not None
        assert created.mailbox is not None
        assert created.mailbox.id == box.id
        assert (box.enabled, box.email_enabled) == (True, True)
        ext = await vm.mailbox_extension(scope, box)
        assert ext.email == "alice@a.example.com"  # messages are mailed to the extension
        assert box.pin_hash.startswith("$argon2id$")
        assert pin not in box.pin_hash
        assert vm.verify_pin(box, pin)
        assert not vm.verify_pin(box, "000000" if pin != "000000" else "111111")
        assert "pin" not in " ".join(vm.mailbox_view(box, "101"))
        assert await vm.mwi_body(scope, "101") is not None  # phones may subscribe to MWI


async def test_opting_out_creates_no_mailbox(db: Database, clock: ManualClock) -> None:
    await _tenant(db, clock, "a.example.com")
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        created = await extensions.create_extension(scope, number="101", voicemail=False)
    assert (created.mailbox, created.voicemail_pin) == (None, None)
    async with db.session() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        assert await vm.mailbox_for_extension(scope, "101") is None
        assert await scope.count(VoicemailBox) == 0


async def test_reset_pin_replaces_the_old_one(db: Database, clock: ManualClock) -> None:
    await _tenant(db, clock, "a.example.com")
    async with db.transaction() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        created = await extensions.create_extension(scope, number="101")
        assert created.mailbox is not None
        assert created.voicemail_pin is not None
        new_pin = await vm.reset_pin(scope, created.mailbox.id)
        old_pin = created.voicemail_pin
    async with db.session() as session:
        scope = await tenants.scope_for(session, "a.example.com")
        box = await vm.mailbox_for_extension(scope, "101")
        assert box is not None
        assert vm.verify_pin(box, new_pin)
        assert old_pin == new_pin or not vm.verify_pin(box, old_pin)


async def _fill_mailbox(scope: TenantScope, store: MediaStore, box_id: int) -> list[Path]:
    """One message and one greeting, rows and files."""
    files: list[Path] = []
    for area in ("voicemail", "greetings"):
        relative, absolute = store.new_file(scope.tenant_id, f"{area}/{box_id}")
        absolute.write_bytes(b"RIFF" + bytes(40))
        files.append(absolute)
        if area == "voicemail":
            scope.add(
                VoicemailMessage(
                    mailbox_id=box_id,
                    caller="0791234567",
                    duration_ms=1000,
                    size_bytes=44,
                    path=relative,
                    created_at=NOW,
                )
            )
        else:
            scope.add(
                MediaFile(
                    kind=MediaKind.GREETING,
                    name="busy",
                    path=relative,
                    duration_ms=1000,
                    size_bytes=44,
                    mailbox_id=box_id,
                    greeting=GreetingKind.BUSY,
                )
            )
    await scope.session.flush()
    return files


@pytest.mark.parametrize("with_store", [True, False])
async def test_deleting_an_extension_deletes_its_mailbox_and_messages(
    db: Database, clock: ManualClock, tmp_path: Path, with_store: bool
) -> None:
    """Rows always go with the extension (as ON DELETE CASCADE did); files when a store is given.

    The same extension number of another tenant keeps its mailbox and its messages.
    """
    store = MediaStore(tmp_path / "data")
    await _tenant(db, clock, "a.example.com")
    await _tenant(db, clock, "b.example.com")
    async with db.transaction() as session:
        await numbers.add_range(session, "+41215550100", "+41215550199")
        a = await tenants.scope_for(session, "a.example.com")
        b = await tenants.scope_for(session, "b.example.com")
        box_a = (await extensions.create_extension(a, number="101")).mailbox
        box_b = (await extensions.create_extension(b, number="101")).mailbox
        assert box_a is not None
        assert box_b is not None
        await numbers.assign_number(a, "+41215550105", now=clock.utcnow(), extension_number="101")
        files_a = await _fill_mailbox(a, store, box_a.id)
        files_b = await _fill_mailbox(b, store, box_b.id)
    async with db.transaction() as session:
        a = await tenants.scope_for(session, "a.example.com")
        await extensions.delete_extension(a, "101", store if with_store else None)
    async with db.session() as session:
        a = await tenants.scope_for(session, "a.example.com")
        b = await tenants.scope_for(session, "b.example.com")
        for model in (Extension, VoicemailBox, VoicemailMessage, MediaFile):
            assert await a.count(model) == 0, model
            assert await b.count(model) == 1, model
        number = await a.first(Number, Number.e164 == "+41215550105")
        assert number is not None
        assert number.extension_id is None
    assert all(f.exists() != with_store for f in files_a)
    assert all(f.exists() for f in files_b)


async def test_another_tenants_mailbox_cannot_be_reset(db: Database, clock: ManualClock) -> None:
    await _tenant(db, clock, "a.example.com")
    await _tenant(db, clock, "b.example.com")
    async with db.transaction() as session:
        b = await tenants.scope_for(session, "b.example.com")
        box_b = (await extensions.create_extension(b, number="101")).mailbox
        assert box_b is not None
    with pytest.raises(NotFound):
        async with db.transaction() as session:
            a = await tenants.scope_for(session, "a.example.com")
            await vm.reset_pin(a, box_b.id)

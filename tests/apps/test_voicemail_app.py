"""The voicemail apps driven by a fake channel: leaving a message, the owner's menu."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

from sqlalchemy import select

from centrex.apps.voicemail import VoicemailApp, VoicemailMenu, VoicemailServices
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import GreetingKind, MediaFile, VoicemailMessage
from centrex.provisioning import voicemail as vm
from centrex.sip.message_summary import parse_simple_message_summary
from tests.apps.conftest import FakeChannel, RecordingMwi, Scopes, set_quota, silence, tone


def _eml_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def _size(path: Path) -> int:
    return path.stat().st_size


async def _mailbox(scopes: Scopes, domain: str = "a.example.com", **kwargs: object) -> int:
    async with scopes(domain) as scope:
        box = await vm.create_mailbox(scope, extension="101", pin="1234", **kwargs)  # type: ignore[arg-type]
        return box.id


async def _messages(db: Database) -> list[VoicemailMessage]:
    async with db.session() as session:
        return list((await session.scalars(select(VoicemailMessage))).all())


async def test_caller_leaves_message(
    db: Database,
    scopes: Scopes,
    two_tenants: dict[str, int],
    services: VoicemailServices,
    mwi: RecordingMwi,
    clock: ManualClock,
) -> None:
    await _mailbox(scopes)
    channel = FakeChannel.script(recordings=[tone(3.0) + silence(2.0)])
    result = await VoicemailApp(services).leave_message(
        channel,
        tenant_id=two_tenants["a.example.com"],
        extension="101",
        caller="+41215550100",
        caller_name="Bob",
        reason=GreetingKind.NO_ANSWER,
    )
    assert result.outcome == "stored"
    assert channel.answered
    assert channel.closed
    assert channel.names() == [
        "vm.greeting_default",
        "vm.leave_message",
        "beep",
        "common.goodbye",
    ]
    assert channel.record_limits == [180]
    (message,) = await _messages(db)
    assert message.id == result.message_id
    assert (message.caller, message.caller_name, message.heard) == ("+41215550100", "Bob", False)
    assert message.created_at == clock.utcnow()
    # trailing silence trimmed to 300 ms
    assert message.duration_ms == 3300
    path = services.store.resolve(message.path)
    assert path.is_file()
    assert _size(path) == message.size_bytes
    assert f"tenants/{two_tenants['a.example.com']}/voicemail/" in message.path
    # no SMTP configured: the mail is an .eml file in <data dir>/outbox
    (eml,) = _eml_files(services.store.data_dir / "outbox")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["To"] == "alice@a.example.com"
    assert "Bob" in str(parsed["Subject"])
    (attachment,) = list(parsed.iter_attachments())  # type: ignore[attr-defined]
    assert attachment.get_content_type() == "audio/wav"
    assert attachment.get_content() == path.read_bytes()
    # MWI: one new message
    ((tenant_id, extension, body),) = mwi.calls
    assert (tenant_id, extension) == (two_tenants["a.example.com"], "101")
    summary = parse_simple_message_summary(body)
    assert (summary.new, summary.old, summary.account) == (1, 0, "sip:101@a.example.com")


async def test_busy_greeting_and_custom_greeting(
    db: Database,
    scopes: Scopes,
    two_tenants: dict[str, int],
    services: VoicemailServices,
) -> None:
    box_id = await _mailbox(scopes, email_enabled=False)
    app = VoicemailApp(services)
    channel = FakeChannel.script(recordings=[tone(2.0)])
    await app.leave_message(
        channel,
        tenant_id=two_tenants["a.example.com"],
        extension="101",
        caller="x",
        reason=GreetingKind.BUSY,
    )
    assert channel.names()[0] == "vm.greeting_busy"
    assert _eml_files(services.store.data_dir / "outbox") == []  # e-mail disabled
    # the owner records a busy greeting through the menu; callers then hear it
    menu = FakeChannel.script(keys=["1234", "2", "1", "*", "#"], recordings=[tone(1.5, 440)])
    assert await VoicemailMenu(services).run(
        menu, tenant_id=two_tenants["a.example.com"], extension="101"
    )
    assert "vm.greeting_saved" in menu.names()
    async with db.session() as session:
        (greeting,) = (await session.scalars(select(MediaFile))).all()
    assert (greeting.mailbox_id, greeting.greeting) == (box_id, GreetingKind.BUSY)
    channel = FakeChannel.script(recordings=[tone(2.0)])
    await app.leave_message(
        channel,
        tenant_id=two_tenants["a.example.com"],
        extension="101",
        caller="x",
        reason=GreetingKind.BUSY,
    )
    assert channel.played[0] == services.store.resolve(greeting.path)
    # the no-answer greeting is still the default
    channel = FakeChannel.script(recordings=[tone(2.0)])
    await app.leave_message(
        channel, tenant_id=two_tenants["a.example.com"], extension="101", caller="x"
    )
    assert channel.names()[0] == "vm.greeting_default"


async def test_silent_or_hung_up_caller_leaves_nothing(
    db: Database, scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices
) -> None:
    await _mailbox(scopes)
    app = VoicemailApp(services)
    quiet = FakeChannel.script(recordings=[silence(4.0)])
    result = await app.leave_message(
        quiet, tenant_id=two_tenants["a.example.com"], extension="101", caller="x"
    )
    assert result.outcome == "empty"
    gone = FakeChannel.script(recordings=[tone(2.0)])
    gone.hang_up_on_record = True
    result = await app.leave_message(
        gone, tenant_id=two_tenants["a.example.com"], extension="101", caller="x"
    )
    # the message recorded before the hang-up is kept
    assert result.outcome == "stored"
    assert len(await _messages(db)) == 1


async def test_no_mailbox_and_full_mailbox(
    db: Database, scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices
) -> None:
    app = VoicemailApp(services)
    channel = FakeChannel.script(recordings=[tone(2.0)])
    result = await app.leave_message(
        channel, tenant_id=two_tenants["a.example.com"], extension="101", caller="x"
    )
    assert result.outcome == "no-mailbox"
    assert channel.names() == ["vm.mailbox_unavailable", "common.goodbye"]
    await _mailbox(scopes, max_messages=1)
    for expected in ("stored", "mailbox-full"):
        channel = FakeChannel.script(recordings=[tone(2.0)])
        result = await app.leave_message(
            channel, tenant_id=two_tenants["a.example.com"], extension="101", caller="x"
        )
        assert result.outcome == expected
    assert channel.names() == ["vm.mailbox_full", "common.goodbye"]
    assert len(await _messages(db)) == 1


async def test_quota_full_tells_the_caller(
    db: Database, scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices
) -> None:
    await _mailbox(scopes)
    await set_quota(db, two_tenants["a.example.com"], 0)
    channel = FakeChannel.script(recordings=[tone(2.0)])
    result = await VoicemailApp(services).leave_message(
        channel, tenant_id=two_tenants["a.example.com"], extension="101", caller="x"
    )
    assert result.outcome == "quota"
    assert channel.names() == ["vm.mailbox_full", "common.goodbye"]
    assert await _messages(db) == []


async def test_owner_menu_listen_save_delete(
    db: Database,
    scopes: Scopes,
    two_tenants: dict[str, int],
    services: VoicemailServices,
    mwi: RecordingMwi,
) -> None:
    await _mailbox(scopes)
    app = VoicemailApp(services)
    tenant_id = two_tenants["a.example.com"]
    for seconds in (2.0, 3.0, 4.0):
        await app.leave_message(
            FakeChannel.script(recordings=[tone(seconds)]),
            tenant_id=tenant_id,
            extension="101",
            caller="x",
        )
    mwi.calls.clear()
    # wrong PIN, right PIN; listen: msg1 save, msg2 replay then delete, msg3 next; exit
    channel = FakeChannel.script(keys=["9999", "1234", "1", "9", "1", "7", "#", "#"])
    assert await VoicemailMenu(services).run(channel, tenant_id=tenant_id, extension="101")
    names = channel.names()
    assert names[:4] == ["vm.enter_pin", "vm.wrong_pin", "vm.enter_pin", "vm.you_have"]
    assert names[4:6] == ["number.3", "vm.new_messages"]
    assert names.count("vm.message_saved") == 1
    assert names.count("vm.message_deleted") == 1
    assert "vm.no_more_messages" in names
    assert names[-1] == "common.goodbye"
    played = [n for n in names if n.startswith("file:")]
    assert len(played) == 4  # three messages, one replayed
    messages = sorted(await _messages(db), key=lambda m: m.id)
    assert [(m.duration_ms, m.heard, m.saved) for m in messages] == [
        (2000, True, True),
        (4000, True, False),
    ]
    last = parse_simple_message_summary(mwi.calls[-1][2])
    assert (last.new, last.old) == (0, 2)
    # the deleted message's file is gone: no orphan audio
    assert _voicemail_files(services.store.data_dir) == 2


def _voicemail_files(root: Path) -> int:
    return len(list(root.rglob("voicemail/*/*.wav")))


async def test_owner_menu_three_wrong_pins_and_mailbox_prompt(
    scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices
) -> None:
    await _mailbox(scopes)
    tenant_id = two_tenants["a.example.com"]
    channel = FakeChannel.script(keys=["0000", "1111", "2222"])
    assert not await VoicemailMenu(services).run(channel, tenant_id=tenant_id, extension="101")
    assert channel.names().count("vm.wrong_pin") == 3
    assert channel.closed
    # without an extension the menu asks for the mailbox; an unknown one fails like a bad PIN
    channel = FakeChannel.script(keys=["555", "1234", "555", "1234", "555", "1234"])
    assert not await VoicemailMenu(services).run(channel, tenant_id=tenant_id, extension=None)
    assert channel.names()[0] == "vm.enter_mailbox"
    channel = FakeChannel.script(keys=["101", "1234", "#"])
    assert await VoicemailMenu(services).run(channel, tenant_id=tenant_id, extension=None)
    assert "vm.no_new_messages" in channel.names()


async def test_other_tenant_cannot_log_in(
    scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices
) -> None:
    await _mailbox(scopes, "a.example.com")
    channel = FakeChannel.script(keys=["1234", "1234", "1234"])
    assert not await VoicemailMenu(services).run(
        channel, tenant_id=two_tenants["b.example.com"], extension="101"
    )

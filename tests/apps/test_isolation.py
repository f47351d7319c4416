"""Tenant isolation of every resource this package adds (DESIGN.md §4.7): list, get,
create-with-reference, update and delete from another tenant all answer "not found".
Runs on SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Cdr, Direction, GreetingKind, MediaKind, RecordingLayout
from centrex.errors import NotFound
from centrex.provisioning import extensions, flows, media_files, recordings
from centrex.provisioning import voicemail as vm
from centrex.provisioning.storage import MediaStore
from tests.apps.conftest import Scopes, tone, write_wav
from tests.apps.test_flows_runner import tenant_flow

A, B = "a.example.com", "b.example.com"


@dataclass
class Owned:
    """Objects of tenant a."""

    box_id: int
    message_id: int
    flow_id: int
    recording_id: int
    media_id: int
    cdr_id: int


def _wav(tmp_path: Path, name: str, seconds: float = 1.0) -> Path:
    return write_wav(tmp_path / name, tone(seconds))


@pytest.fixture
async def owned(scopes: Scopes, store: MediaStore, clock: ManualClock, tmp_path: Path) -> Owned:
    async with scopes(A) as scope:
        await extensions.create_extension(scope, number="103", voicemail=False)
        box = await vm.create_mailbox(scope, extension="101", pin="1234")
        message = await vm.deposit_message(
            scope, store, box, _wav(tmp_path, "m.wav"), caller="x", now=clock.utcnow()
        )
        media = await media_files.upload_media(
            scope,
            store,
            _wav(tmp_path, "g.wav").read_bytes(),
            kind=MediaKind.GREETING,
            name="g",
            mailbox_id=box.id,
            greeting=GreetingKind.BUSY,
        )
        flow = await flows.create_flow(scope, name="main", graph=tenant_flow(), now=clock.utcnow())
        cdr = scope.add(
            Cdr(
                call_id="c1",
                caller="101",
                callee="102",
                direction=Direction.INTERNAL,
                started_at=clock.utcnow(),
            )
        )
        await scope.session.flush()
        recording = await recordings.register_recording(
            scope,
            store,
            call_id="c1",
            path=_wav(tmp_path, "r.wav"),
            now=clock.utcnow(),
            cdr_id=cdr.id,
        )
        return Owned(box.id, message.id, flow.id, recording.id, media.id, cdr.id)


# --- voicemail boxes ----------------------------------------------------------------------


async def test_mailbox_list(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        assert await vm.list_mailboxes(scope) == []
        assert await vm.mailbox_for_extension(scope, "101") is None


async def test_mailbox_get(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await vm.get_mailbox(scope, owned.box_id)


async def test_mailbox_create_with_reference(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await vm.create_mailbox(scope, extension="103", pin="1234")  # a's extension


async def test_mailbox_update(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await vm.update_mailbox(scope, owned.box_id, pin="9999")


async def test_mailbox_delete(scopes: Scopes, store: MediaStore, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await vm.delete_mailbox(scope, store, owned.box_id)
    async with scopes(A) as scope:
        assert (await vm.get_mailbox(scope, owned.box_id)).id == owned.box_id


# --- voicemail messages ---------------------------------------------------------------------


async def test_message_list(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await vm.list_messages(scope, owned.box_id)
    async with scopes(A) as scope:
        assert (await vm.list_messages(scope, owned.box_id)).total == 1


async def test_message_get(scopes: Scopes, store: MediaStore, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await vm.get_message(scope, owned.message_id)
        with pytest.raises(NotFound):
            await vm.message_file(scope, store, owned.message_id)


async def test_message_create_with_reference(
    scopes: Scopes, store: MediaStore, owned: Owned, clock: ManualClock, tmp_path: Path
) -> None:
    async with scopes(A) as scope:
        box_of_a = await vm.get_mailbox(scope, owned.box_id)
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await vm.deposit_message(
                scope, store, box_of_a, _wav(tmp_path, "x.wav"), caller="x", now=clock.utcnow()
            )


async def test_message_update(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await vm.update_message(scope, owned.message_id, heard=True)
    async with scopes(A) as scope:
        assert not (await vm.get_message(scope, owned.message_id)).heard


async def test_message_delete(scopes: Scopes, store: MediaStore, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await vm.delete_message(scope, store, owned.message_id)
    async with scopes(A) as scope:
        assert store.resolve((await vm.get_message(scope, owned.message_id)).path).is_file()


# --- flows ----------------------------------------------------------------------------------


async def test_flow_list(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        assert await flows.list_flows(scope) == (0, [])


async def test_flow_get(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await flows.get_flow(scope, owned.flow_id)


async def test_flow_create_with_reference(scopes: Scopes, owned: Owned, clock: ManualClock) -> None:
    graph = tenant_flow()
    graph["nodes"][1]["prompt"] = {"media": owned.media_id}
    async with scopes(B) as scope:
        issues = await flows.validate(scope, graph)
        assert [(i.node, i.error_id) for i in issues] == [("welcome", "flow-unknown-media")]
        with pytest.raises(NotFound):
            await flows.bind_extension(scope, owned.flow_id, "101")


async def test_flow_update(scopes: Scopes, owned: Owned, clock: ManualClock) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await flows.update_flow(scope, owned.flow_id, name="stolen", now=clock.utcnow())


async def test_flow_delete(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await flows.delete_flow(scope, owned.flow_id)


# --- recordings -----------------------------------------------------------------------------


async def test_recording_list(scopes: Scopes, owned: Owned, clock: ManualClock) -> None:
    async with scopes(B) as scope:
        assert await recordings.list_recordings(scope) == (0, [])
    async with scopes(A) as scope:
        total, items = await recordings.list_recordings(scope, before=clock.utcnow())
        assert total == 0  # created "now", not before
        total, items = await recordings.list_recordings(scope, call_id="c1")
        assert [r.id for r in items] == [owned.recording_id]


async def test_recording_get(scopes: Scopes, store: MediaStore, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await recordings.get_recording(scope, owned.recording_id)
        with pytest.raises(NotFound):
            await recordings.recording_file(scope, store, owned.recording_id)


async def test_recording_create_with_reference(
    scopes: Scopes, store: MediaStore, owned: Owned, clock: ManualClock, tmp_path: Path
) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await recordings.register_recording(
                scope,
                store,
                call_id="c2",
                path=_wav(tmp_path, "b.wav"),
                now=clock.utcnow(),
                cdr_id=owned.cdr_id,
                layout=RecordingLayout.PER_PARTY,
                party="caller",
            )


async def test_recording_update(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await recordings.update_recording(scope, owned.recording_id, cdr_id=None)


async def test_recording_delete(scopes: Scopes, store: MediaStore, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await recordings.delete_recording(scope, store, owned.recording_id)


# --- media files (greetings, MOH, prompts) ----------------------------------------------------


async def test_media_list(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        assert await media_files.list_media(scope) == []


async def test_media_get(scopes: Scopes, store: MediaStore, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await media_files.get_media(scope, owned.media_id)
        with pytest.raises(NotFound):
            await media_files.media_path(scope, store, owned.media_id)


async def test_media_create_with_reference(
    scopes: Scopes, store: MediaStore, owned: Owned, tmp_path: Path
) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await media_files.upload_media(
                scope,
                store,
                _wav(tmp_path, "g2.wav").read_bytes(),
                kind=MediaKind.GREETING,
                name="g",
                mailbox_id=owned.box_id,
                greeting=GreetingKind.BUSY,
            )


async def test_media_update(scopes: Scopes, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await media_files.rename_media(scope, owned.media_id, "mine now")


async def test_media_delete(scopes: Scopes, store: MediaStore, owned: Owned) -> None:
    async with scopes(B) as scope:
        with pytest.raises(NotFound):
            await media_files.delete_media(scope, store, owned.media_id)


async def test_owner_can_do_all_of_it(
    db: Database, scopes: Scopes, store: MediaStore, owned: Owned, clock: ManualClock
) -> None:
    """The same calls succeed for the owning tenant (the negative tests test something)."""
    async with scopes(A) as scope:
        await vm.update_message(scope, owned.message_id, saved=True)
        await media_files.rename_media(scope, owned.media_id, "renamed")
        await flows.update_flow(scope, owned.flow_id, name="renamed", now=clock.utcnow())
        await recordings.delete_recording(scope, store, owned.recording_id)
        await media_files.delete_media(scope, store, owned.media_id)
        await vm.delete_message(scope, store, owned.message_id)
        await flows.delete_flow(scope, owned.flow_id)
        await vm.delete_mailbox(scope, store, owned.box_id)
        assert await vm.list_mailboxes(scope) == []

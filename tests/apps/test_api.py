"""REST routes of the media applications: flows, voicemail, recordings (in-process httpx, both
databases), including 404 for another tenant's objects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from centrex.api.app import create_app
from centrex.api.sources import RegistrationsFromEvents
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.secrets_box import SecretBox
from centrex.events import EventBus
from centrex.provisioning import extensions, recordings, tenants
from centrex.provisioning import voicemail as vm
from centrex.provisioning.storage import MediaStore
from tests.api.conftest import FakeCalls, World, _seed
from tests.apps.conftest import tone, write_wav
from tests.apps.test_flows_runner import tenant_flow

A, B = "a.example.com", "b.example.com"


@pytest.fixture
async def api(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[World, MediaStore]]:
    database = Database(database_url)
    clock = ManualClock()
    bus = EventBus()
    store = MediaStore(tmp_path / "data")
    app = create_app(
        database,
        clock=clock,
        events_bus=bus,
        registrations=RegistrationsFromEvents(bus, clock),
        calls=FakeCalls(),
        portal=False,
        media_store=store,
        secret_box=SecretBox("test-key"),
    )
    tokens, ids = await _seed(database, clock)
    async with database.transaction() as session:
        for domain in (A, B):
            scope = await tenants.scope_for(session, domain)
            await extensions.create_extension(
                scope, number="101", email=f"x@{domain}", voicemail=False
            )  # the tests create the mailbox through the API
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        world = World(
            client,
            database,
            bus,
            FakeCalls(),
            RegistrationsFromEvents(bus, clock),
            clock,
            tokens,
            ids,
        )
        yield world, store
    await database.dispose()


def _not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_flows_crud_validate_simulate(api: tuple[World, MediaStore]) -> None:
    world, _ = api
    c, admin = world.client, world.auth("admin_a")
    created = await c.post(
        "/api/v1/flows", json={"name": "main", "graph": tenant_flow()}, headers=admin
    )
    assert created.status_code == 201, created.text
    flow = created.json()
    assert created.headers["Location"] == f"/api/v1/flows/{flow['id']}"
    listing = (await c.get("/api/v1/flows", headers=admin)).json()
    assert listing["total"] == 1
    assert listing["items"][0]["name"] == "main"
    simulated = await c.post(
        f"/api/v1/flows/{flow['id']}/simulate",
        json={"at": "2026-11-25T10:00:00+01:00", "digits": ["2"]},
        headers=admin,
    )
    assert simulated.status_code == 200, simulated.text
    body = simulated.json()
    assert body["action"] == {
        "type": "transfer",
        "kind": "queue",
        "value": "support",
        "reason": None,
    }
    assert [s["node"] for s in body["path"]] == ["hours", "welcome", "main", "support"]
    closed = await c.post(
        f"/api/v1/flows/{flow['id']}/simulate", json={"at": "2026-11-28T10:00:00Z"}, headers=admin
    )
    assert closed.json()["action"]["kind"] == "voicemail"
    patched = await c.patch(
        f"/api/v1/flows/{flow['id']}", json={"description": "reception"}, headers=admin
    )
    assert patched.json()["description"] == "reception"
    assert (await c.get(f"/api/v1/flows/{flow['id']}", headers=admin)).json()[
        "description"
    ] == "reception"
    assert (await c.delete(f"/api/v1/flows/{flow['id']}", headers=admin)).status_code == 204
    _not_found(await c.get(f"/api/v1/flows/{flow['id']}", headers=admin))


async def test_invalid_flow_lists_every_issue(api: tuple[World, MediaStore]) -> None:
    world, _ = api
    c, admin = world.client, world.auth("admin_a")
    graph = tenant_flow()
    graph["nodes"][2]["branches"]["3"] = "ghost"
    graph["nodes"].append({"id": "island", "type": "hangup"})
    response = await c.post("/api/v1/flows", json={"name": "bad", "graph": graph}, headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["error_id"] == "flow-invalid"
    assert {(e["field"], e["type"]) for e in problem["errors"]} == {
        ("nodes.main.branches.3", "flow-dangling-branch"),
        ("nodes.island", "flow-unreachable-node"),
    }
    check = await c.post("/api/v1/flows/validate", json={"graph": graph}, headers=admin)
    assert check.status_code == 200
    assert check.json()["valid"] is False
    assert len(check.json()["issues"]) == 2
    ok = await c.post("/api/v1/flows/validate", json={"graph": tenant_flow()}, headers=admin)
    assert ok.json() == {"valid": True, "issues": []}
    unsaved = await c.post(
        "/api/v1/flows/simulate",
        json={"graph": tenant_flow(), "at": "2026-12-25T10:00:00Z", "language": "de"},
        headers=admin,
    )
    assert unsaved.json()["action"] == {
        "type": "hangup",
        "kind": None,
        "value": None,
        "reason": "node",
    }
    assert unsaved.json()["language"] == "de"
    broken = await c.post("/api/v1/flows/simulate", json={"graph": graph}, headers=admin)
    assert broken.status_code == 422
    assert (await c.get("/api/v1/flows", headers=admin)).json()["total"] == 0
    # a plain user may not manage flows
    assert (await c.get("/api/v1/flows", headers=world.auth("user_a"))).status_code == 403


async def test_flows_of_another_tenant_are_not_found(api: tuple[World, MediaStore]) -> None:
    world, _ = api
    c = world.client
    flow = (
        await c.post(
            "/api/v1/flows",
            json={"name": "main", "graph": tenant_flow()},
            headers=world.auth("admin_a"),
        )
    ).json()
    other = world.auth("admin_b")
    assert (await c.get("/api/v1/flows", headers=other)).json() == {"total": 0, "items": []}
    _not_found(await c.get(f"/api/v1/flows/{flow['id']}", headers=other))
    _not_found(await c.patch(f"/api/v1/flows/{flow['id']}", json={"name": "x"}, headers=other))
    _not_found(await c.post(f"/api/v1/flows/{flow['id']}/simulate", json={}, headers=other))
    _not_found(await c.delete(f"/api/v1/flows/{flow['id']}", headers=other))
    # partner 2 acting in tenant a (not its tenant) gets 404 too
    _not_found(await c.get(f"/api/v1/flows/{flow['id']}", headers=world.auth("p2", A)))
    assert (
        await c.get(f"/api/v1/flows/{flow['id']}", headers=world.auth("p1", A))
    ).status_code == 200


async def _box_with_message(world: World, store: MediaStore, tmp_path: Path) -> tuple[int, int]:
    c = world.client
    box = await c.post(
        "/api/v1/voicemail/boxes",
        json={"extension": "101", "pin": "2468"},
        headers=world.auth("admin_a"),
    )
    assert box.status_code == 201, box.text
    box_id = int(box.json()["id"])
    async with world.database.transaction() as session:
        scope = await tenants.scope_for(session, A)
        mailbox = await vm.get_mailbox(scope, box_id)
        message = await vm.deposit_message(
            scope,
            store,
            mailbox,
            write_wav(tmp_path / "m.wav", tone(1.5)),
            caller="+41790000000",
            now=world.clock.utcnow(),
        )
    return box_id, message.id


async def test_voicemail_routes(api: tuple[World, MediaStore], tmp_path: Path) -> None:
    world, store = api
    c, admin = world.client, world.auth("admin_a")
    box_id, message_id = await _box_with_message(world, store, tmp_path)
    boxes = (await c.get("/api/v1/voicemail/boxes", headers=admin)).json()
    assert boxes["total"] == 1
    assert boxes["items"][0]["extension"] == "101"
    assert "pin" not in boxes["items"][0]
    assert "pin_hash" not in boxes["items"][0]
    messages = (
        await c.get(f"/api/v1/voicemail/boxes/{box_id}/messages?folder=new", headers=admin)
    ).json()
    assert messages["total"] == 1
    assert messages["items"][0]["duration_ms"] == 1500
    audio = await c.get(f"/api/v1/voicemail/messages/{message_id}/audio", headers=admin)
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav"
    assert audio.content[:4] == b"RIFF"
    assert len(audio.content) == messages["items"][0]["size_bytes"]
    heard = await c.patch(
        f"/api/v1/voicemail/messages/{message_id}", json={"heard": True}, headers=admin
    )
    assert heard.json()["heard"] is True
    assert (
        await c.get(f"/api/v1/voicemail/boxes/{box_id}/messages?folder=new", headers=admin)
    ).json()["total"] == 0
    greeting = await c.put(
        f"/api/v1/voicemail/boxes/{box_id}/greetings/busy",
        files={
            "file": (
                "hello.wav",
                write_wav(tmp_path / "g.wav", tone(1.0)).read_bytes(),
                "audio/wav",
            )
        },
        headers=admin,
    )
    assert greeting.status_code == 200, greeting.text
    assert greeting.json()["greeting"] == "busy"
    assert greeting.json()["duration_ms"] == 1000
    bad = await c.put(
        f"/api/v1/voicemail/boxes/{box_id}/greetings/busy",
        files={"file": ("x.txt", b"not audio at all", "text/plain")},
        headers=admin,
    )
    assert bad.status_code == 415
    assert bad.json()["error_id"] == "audio-unsupported-format"
    patched = await c.patch(
        f"/api/v1/voicemail/boxes/{box_id}", json={"attachment_format": "mp3"}, headers=admin
    )
    assert patched.json()["attachment_format"] == "mp3"
    assert (
        await c.delete(f"/api/v1/voicemail/messages/{message_id}", headers=admin)
    ).status_code == 204
    _not_found(await c.get(f"/api/v1/voicemail/messages/{message_id}", headers=admin))
    assert (await c.delete(f"/api/v1/voicemail/boxes/{box_id}", headers=admin)).status_code == 204


async def test_voicemail_of_another_tenant_or_user_is_not_found(
    api: tuple[World, MediaStore], tmp_path: Path
) -> None:
    world, store = api
    c = world.client
    box_id, message_id = await _box_with_message(world, store, tmp_path)
    for who in ("admin_b", "user_a"):  # another tenant; a user who does not own extension 101
        other = world.auth(who)
        assert (await c.get("/api/v1/voicemail/boxes", headers=other)).json()["total"] == 0
        _not_found(await c.get(f"/api/v1/voicemail/boxes/{box_id}", headers=other))
        _not_found(await c.get(f"/api/v1/voicemail/boxes/{box_id}/messages", headers=other))
        _not_found(await c.get(f"/api/v1/voicemail/messages/{message_id}", headers=other))
        _not_found(await c.get(f"/api/v1/voicemail/messages/{message_id}/audio", headers=other))
        _not_found(
            await c.patch(
                f"/api/v1/voicemail/messages/{message_id}", json={"heard": True}, headers=other
            )
        )
        _not_found(
            await c.patch(f"/api/v1/voicemail/boxes/{box_id}", json={"pin": "1111"}, headers=other)
        )
        _not_found(await c.delete(f"/api/v1/voicemail/messages/{message_id}", headers=other))
        _not_found(
            await c.put(
                f"/api/v1/voicemail/boxes/{box_id}/greetings/busy",
                files={
                    "file": (
                        "g.wav",
                        write_wav(tmp_path / "g.wav", tone(1.0)).read_bytes(),
                        "audio/wav",
                    )
                },
                headers=other,
            )
        )
    _not_found(await c.delete(f"/api/v1/voicemail/boxes/{box_id}", headers=world.auth("admin_b")))
    # tenant b's admin creating a mailbox for an extension only a has → 404 (b has its own 101)
    created = await c.post(
        "/api/v1/voicemail/boxes",
        json={"extension": "102", "pin": "1234"},
        headers=world.auth("admin_b"),
    )
    _not_found(created)
    assert (
        await c.get(f"/api/v1/voicemail/messages/{message_id}", headers=world.auth("admin_a"))
    ).status_code == 200


async def _recording(world: World, store: MediaStore, tmp_path: Path) -> int:
    async with world.database.transaction() as session:
        scope = await tenants.scope_for(session, A)
        relative, path = store.new_file(scope.tenant_id, "recordings")
        write_wav(path, tone(2.0))
        recording = await recordings.register_recording(
            scope, store, call_id="call-1@x", path=path, now=world.clock.utcnow()
        )
        assert recording.path == relative
        return recording.id


async def test_recording_routes_and_isolation(
    api: tuple[World, MediaStore], tmp_path: Path
) -> None:
    world, store = api
    c, admin, other = world.client, world.auth("admin_a"), world.auth("admin_b")
    recording_id = await _recording(world, store, tmp_path)
    listing = (await c.get("/api/v1/recordings?call_id=call-1@x", headers=admin)).json()
    assert listing["total"] == 1
    assert listing["items"][0]["duration_ms"] == 2000
    older: dict[str, Any] = (
        await c.get("/api/v1/recordings", params={"before": "2025-01-01T00:00:00Z"}, headers=admin)
    ).json()
    assert older == {"total": 0, "items": []}
    audio = await c.get(f"/api/v1/recordings/{recording_id}/audio", headers=admin)
    assert audio.content[:4] == b"RIFF"
    assert (await c.get("/api/v1/recordings", headers=other)).json() == {"total": 0, "items": []}
    _not_found(await c.get(f"/api/v1/recordings/{recording_id}", headers=other))
    _not_found(await c.get(f"/api/v1/recordings/{recording_id}/audio", headers=other))
    _not_found(await c.delete(f"/api/v1/recordings/{recording_id}", headers=other))
    assert (await c.get("/api/v1/recordings", headers=world.auth("user_a"))).status_code == 403
    assert (await c.delete(f"/api/v1/recordings/{recording_id}", headers=admin)).status_code == 204
    _not_found(await c.get(f"/api/v1/recordings/{recording_id}", headers=admin))


async def test_media_routes_and_isolation(api: tuple[World, MediaStore], tmp_path: Path) -> None:
    world, _ = api
    c, admin, other = world.client, world.auth("admin_a"), world.auth("admin_b")
    wav = write_wav(tmp_path / "moh.wav", tone(2.0, 440.0)).read_bytes()
    created = await c.post(
        "/api/v1/media",
        data={"kind": "moh", "name": "Jingle"},
        files={"file": ("moh.wav", wav, "audio/wav")},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    media = created.json()
    assert created.headers["Location"] == f"/api/v1/media/{media['id']}"
    assert (media["kind"], media["duration_ms"]) == ("moh", 2000)
    broken = await c.post(
        "/api/v1/media",
        data={"kind": "prompt", "name": "x"},
        files={"file": ("x.wav", b"RIFF\x10\0\0\0WAVEjunkjunkjunk", "audio/wav")},
        headers=admin,
    )
    assert broken.status_code == 422
    assert broken.json()["error_id"] == "audio-broken"
    assert (await c.get("/api/v1/media?kind=moh", headers=admin)).json()["total"] == 1
    audio = await c.get(f"/api/v1/media/{media['id']}/audio", headers=admin)
    assert audio.content[:4] == b"RIFF"
    renamed = await c.patch(f"/api/v1/media/{media['id']}", json={"name": "Calm"}, headers=admin)
    assert renamed.json()["name"] == "Calm"
    # another tenant: list, get, use in a flow (create-with-reference), update, delete
    assert (await c.get("/api/v1/media", headers=other)).json() == {"total": 0, "items": []}
    _not_found(await c.get(f"/api/v1/media/{media['id']}", headers=other))
    _not_found(await c.get(f"/api/v1/media/{media['id']}/audio", headers=other))
    graph = tenant_flow()
    graph["nodes"][1]["prompt"] = {"media": media["id"]}
    stolen = await c.post("/api/v1/flows", json={"name": "x", "graph": graph}, headers=other)
    assert stolen.status_code == 422
    assert stolen.json()["errors"][0]["type"] == "flow-unknown-media"
    _not_found(await c.patch(f"/api/v1/media/{media['id']}", json={"name": "x"}, headers=other))
    _not_found(await c.delete(f"/api/v1/media/{media['id']}", headers=other))
    assert (await c.delete(f"/api/v1/media/{media['id']}", headers=admin)).status_code == 204


async def test_flow_bindings(api: tuple[World, MediaStore]) -> None:
    world, _ = api
    c, admin, other = world.client, world.auth("admin_a"), world.auth("admin_b")
    flow = (
        await c.post("/api/v1/flows", json={"name": "main", "graph": tenant_flow()}, headers=admin)
    ).json()
    to_ext = await c.post(
        f"/api/v1/flows/{flow['id']}/bindings", json={"extension": "101"}, headers=admin
    )
    assert to_ext.status_code == 201, to_ext.text
    assert to_ext.json()["extension"] == "101"
    both = await c.post(
        f"/api/v1/flows/{flow['id']}/bindings",
        json={"extension": "101", "number": "+41215550100"},
        headers=admin,
    )
    assert both.status_code == 422
    assert both.json()["error_id"] == "binding-target"
    _not_found(
        await c.post(
            f"/api/v1/flows/{flow['id']}/bindings", json={"number": "+41215550100"}, headers=admin
        )
    )  # not a number of the tenant
    listing = (await c.get(f"/api/v1/flows/{flow['id']}/bindings", headers=admin)).json()
    assert listing["total"] == 1
    binding_id = listing["items"][0]["id"]
    _not_found(await c.get(f"/api/v1/flows/{flow['id']}/bindings", headers=other))
    _not_found(
        await c.post(
            f"/api/v1/flows/{flow['id']}/bindings", json={"extension": "101"}, headers=other
        )
    )
    _not_found(await c.delete(f"/api/v1/flows/{flow['id']}/bindings/{binding_id}", headers=other))
    assert (
        await c.delete(f"/api/v1/flows/{flow['id']}/bindings/{binding_id}", headers=admin)
    ).status_code == 204
    assert (await c.get(f"/api/v1/flows/{flow['id']}/bindings", headers=admin)).json()["total"] == 0


async def test_a_prompt_a_flow_plays_is_not_deleted(
    api: tuple[World, MediaStore], tmp_path: Path
) -> None:
    """409 `media-in-use` naming the flow, the file kept; once the flow is gone it can go."""
    world, _ = api
    c, admin = world.client, world.auth("admin_a")
    wav = write_wav(tmp_path / "hello.wav", tone(1.0, 440.0)).read_bytes()
    media = (
        await c.post(
            "/api/v1/media",
            data={"kind": "prompt", "name": "Hello"},
            files={"file": ("hello.wav", wav, "audio/wav")},
            headers=admin,
        )
    ).json()
    graph = tenant_flow()
    graph["nodes"][1]["prompt"] = {"media": media["id"]}
    flow = await c.post("/api/v1/flows", json={"name": "Main", "graph": graph}, headers=admin)
    assert flow.status_code == 201, flow.text
    refused = await c.delete(f"/api/v1/media/{media['id']}", headers=admin)
    assert refused.status_code == 409, refused.text
    assert refused.json()["error_id"] == "media-in-use"
    assert "Main" in refused.json()["detail"]
    assert (await c.get(f"/api/v1/media/{media['id']}/audio", headers=admin)).content[:4] == b"RIFF"
    assert (await c.delete(f"/api/v1/flows/{flow.json()['id']}", headers=admin)).status_code == 204
    assert (await c.delete(f"/api/v1/media/{media['id']}", headers=admin)).status_code == 204

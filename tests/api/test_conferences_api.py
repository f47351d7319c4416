"""/api/v1/conferences (SQLite and PostgreSQL): create, read, PATCH (PINs cleared with null),
delete; a number the tenant uses already is 409 and bad input 422, nothing written; the live
participants (from a real `LiveConferences`, the object `serve` shares between the app and the
API), mute/unmute with their events on the bus, kick; and tenant isolation — B gets 404 on A's
room and its participants, cannot create into A, and its list does not show A's rooms."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from centrex.api.app import create_app
from centrex.apps.conference.live import LiveConferences, LiveRoom
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import UserRole
from centrex.events import ConferenceEvent, Event, EventBus
from centrex.media.codecs import Codec, default_registry
from centrex.media.room import MixingRoom
from centrex.media.session import MediaLeg
from centrex.media.ticker import Ticker
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import users as user_service
from tests.api.conftest import _seed
from tests.helpers import api_wiring

ROOMS = "/api/v1/conferences"


class FakeChannel:
    """A participant's channel: a kick hangs it up, and its app then leaves the room."""

    def __init__(self) -> None:
        self.hung_up = False
        self.leave: tuple[LiveConferences, LiveRoom, object] | None = None

    async def hangup(self) -> None:
        self.hung_up = True
        if self.leave is not None:
            live, room, participant = self.leave
            live.leave(room, participant)  # type: ignore[arg-type]


@dataclass
class ConfWorld:
    client: httpx.AsyncClient
    database: Database
    live: LiveConferences
    bus: EventBus
    ids: dict[str, int]
    tokens: dict[str, str]
    events: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)

    def auth(self, who: str, tenant: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        if tenant:
            headers["Centrex-Tenant"] = tenant
        return headers


@pytest.fixture
async def world(database_url: str, tmp_path: Path) -> AsyncIterator[ConfWorld]:
    database = Database(database_url)
    clock = ManualClock()
    bus = EventBus()
    ticker = Ticker(clock)

    codecs = default_registry()

    def codec_for(leg: MediaLeg) -> tuple[Codec, int]:
        raise AssertionError("no leg joins in these tests (participants come from _join)")

    def mixing_room(room_id: str) -> MixingRoom:
        return MixingRoom(room_id, ticker, codecs, codec_for=codec_for,
                          take_leg=lambda leg: None, new_stream=lambda: (1, 1, 1))  # fmt: skip

    live = LiveConferences(mixing_room=mixing_room, publish=bus.publish, clock=clock)
    app = create_app(database, clock=clock, events_bus=bus, conferences=live,
                     **api_wiring(tmp_path))  # fmt: skip
    tokens, ids = await _seed(database, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        world = ConfWorld(client, database, live, bus, ids, tokens)
        world.events = bus.subscribe()
        yield world
    await database.dispose()


async def _room(world: ConfWorld, who: str = "admin_a", **body: object) -> httpx.Response:
    return await world.client.post(ROOMS, json={"number": "800", **body},
                                   headers=world.auth(who))  # fmt: skip


def _join(world: ConfWorld, tenant: str, room_id: int, caller: str) -> FakeChannel:
    """A caller of tenant `tenant` in room `room_id` (as the app registers one)."""
    live = world.live
    room = live.room(world.ids[tenant], room_id, "800")
    channel = FakeChannel()
    participant = live.arrive(room, caller=caller, caller_name=f"Ext {caller}", moderator=False,
                              channel=channel)  # fmt: skip
    channel.leave = (live, room, participant)
    return channel


async def test_create_read_patch_delete(world: ConfWorld) -> None:
    c, h = world.client, world.auth("admin_a")
    made = await _room(world, pin="1234", moderator_pin="9999", record=True, max_members=5)
    assert made.status_code == 201, made.text
    url = made.headers["location"]
    body = (await c.get(url, headers=h)).json()
    assert {k: body[k] for k in ("number", "pin", "moderator_pin", "record", "max_members")} == {
        "number": "800", "pin": "1234", "moderator_pin": "9999", "record": True,
        "max_members": 5,
    }  # fmt: skip
    changed = await c.patch(url, json={"pin": None, "name": "Board", "record": False}, headers=h)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["pin"], changed.json()["moderator_pin"], changed.json()["name"],
            changed.json()["record"]) == (None, "9999", "Board", False)  # fmt: skip
    assert (await c.get(ROOMS, headers=h)).json()["total"] == 1
    assert (await c.delete(url, headers=h)).status_code == 204
    assert (await c.get(url, headers=h)).status_code == 404


async def test_number_taken_and_bad_input_write_nothing(world: ConfWorld) -> None:
    c, h = world.client, world.auth("admin_a")
    ext = await c.post("/api/v1/extensions", json={"number": "101"}, headers=h)
    assert ext.status_code == 201, ext.text
    taken = await world.client.post(ROOMS, json={"number": "101"}, headers=h)
    assert taken.status_code == 409, taken.text
    assert taken.json()["error_id"] == "conference-number-taken"
    park = await world.client.post(ROOMS, json={"number": "700"}, headers=h)
    assert park.json()["error_id"] == "conference-number-taken"
    same = await _room(world, pin="1234", moderator_pin="1234")
    assert (same.status_code, same.json()["error_id"]) == (422, "conference-same-pins")
    for bad in ({"pin": "12"}, {"pin": "12ab"}, {"max_members": 1}, {"number": "8"},
                {"unknown": 1}):  # fmt: skip
        refused = await _room(world, **bad)
        assert refused.status_code == 422, (bad, refused.text)
    assert (await c.get(ROOMS, headers=h)).json() == {"total": 0, "items": []}
    assert (await _room(world)).status_code == 201
    twice = await _room(world)
    assert (twice.status_code, twice.json()["error_id"]) == (409, "conference-exists")


async def test_participants_mute_unmute_kick_and_events(world: ConfWorld) -> None:
    c, h = world.client, world.auth("admin_a")
    room_id = (await _room(world)).json()["id"]
    url = f"{ROOMS}/{room_id}/participants"
    assert (await c.get(url, headers=h)).json() == {"total": 0, "items": []}
    first = _join(world, "a", room_id, "101")
    _join(world, "a", room_id, "102")
    listed = (await c.get(url, headers=h)).json()
    assert listed["total"] == 2
    assert [(p["caller"], p["caller_name"], p["muted"], p["moderator"]) for p in
            listed["items"]] == [("101", "Ext 101", False, False),
                                 ("102", "Ext 102", False, False)]  # fmt: skip
    assert all(p["joined_at"] for p in listed["items"])
    pid = listed["items"][0]["id"]
    muted = await c.post(f"{url}/{pid}/mute", headers=h)
    assert (muted.status_code, muted.json()["muted"]) == (200, True), muted.text
    assert [p["muted"] for p in (await c.get(url, headers=h)).json()["items"]] == [True, False]
    event = world.events.get_nowait()
    assert isinstance(event, ConferenceEvent)
    assert (event.state, event.caller, event.conference_id, event.tenant_id) == (
        "muted", "101", room_id, world.ids["a"],
    )  # fmt: skip
    assert (await c.post(f"{url}/{pid}/unmute", headers=h)).json()["muted"] is False
    assert (await c.delete(f"{url}/{pid}", headers=h)).status_code == 204
    assert first.hung_up
    assert [p["caller"] for p in (await c.get(url, headers=h)).json()["items"]] == ["102"]
    missing = await c.post(f"{url}/{pid}/mute", headers=h)
    assert (missing.status_code, missing.json()["error_id"]) == (404, "participant-not-found")
    assert (await c.delete(f"{url}/99999", headers=h)).status_code == 404


async def test_another_tenant_gets_404_and_cannot_create_into_a(world: ConfWorld) -> None:
    c, hb = world.client, world.auth("admin_b")
    room_id = (await _room(world, pin="1234")).json()["id"]
    channel = _join(world, "a", room_id, "101")
    participant_id = next(iter(world.live.rooms[(world.ids["a"], room_id)].participants))
    for method, path in (
        ("GET", f"{ROOMS}/{room_id}"),
        ("PATCH", f"{ROOMS}/{room_id}"),
        ("DELETE", f"{ROOMS}/{room_id}"),
        ("GET", f"{ROOMS}/{room_id}/participants"),
        ("POST", f"{ROOMS}/{room_id}/participants/{participant_id}/mute"),
        ("POST", f"{ROOMS}/{room_id}/participants/{participant_id}/unmute"),
        ("DELETE", f"{ROOMS}/{room_id}/participants/{participant_id}"),
    ):
        kwargs = {"json": {"pin": "5555"}} if method == "PATCH" else {}
        answer = await c.request(method, path, headers=hb, **kwargs)  # type: ignore[arg-type]
        assert answer.status_code == 404, (method, path, answer.text)
    assert not channel.hung_up
    assert (await c.get(ROOMS, headers=hb)).json() == {"total": 0, "items": []}
    into_a = await c.post(ROOMS, json={"number": "801"}, headers=world.auth("admin_b",
                                                                            "a.example.com"))  # fmt: skip
    a_rooms = (await c.get(ROOMS, headers=world.auth("admin_a"))).json()["items"]
    assert [r["number"] for r in a_rooms] == ["800"]
    assert a_rooms[0]["pin"] == "1234"
    if into_a.status_code == 201:  # the header is for staff: B's admin made B's own room
        assert [r["number"] for r in (await c.get(ROOMS, headers=hb)).json()["items"]] == ["801"]
    user = await c.get(ROOMS, headers=world.auth("user_a"))
    assert user.status_code == 403, user.text


async def _portal_login(world: ConfWorld, domain: str, email: str) -> None:
    async with world.database.transaction() as session:
        scope = await tenant_service.scope_for(session, domain)
        await user_service.create_user(scope, name="Ada", email=email,
                                       role=UserRole.TENANT_ADMIN.value,
                                       password="right-password-1")  # fmt: skip
    page = await world.client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"email": email, "password": "right-password-1", "csrf": csrf.group(1)}
    assert (await world.client.post("/login", data=form)).status_code == 303


async def test_portal_lists_the_tenants_rooms_and_who_is_in_them(world: ConfWorld) -> None:
    room_id = (await _room(world, pin="4711", record=True)).json()["id"]
    _join(world, "a", room_id, "101")
    await _portal_login(world, "a.example.com", "ada@a.example.com")
    shown = await world.client.get("/tenant/conferences")
    assert shown.status_code == 200, shown.text
    row = shown.text[shown.text.index("<tbody>") : shown.text.index("</tbody>")]
    for text in ("800", "4711", "101"):
        assert text in row, text
    await world.client.post("/logout", data={})
    world.client.cookies.clear()
    await _portal_login(world, "b.example.com", "ada@b.example.com")
    other = await world.client.get("/tenant/conferences")
    assert other.status_code == 200, other.text
    assert "4711" not in other.text
    assert "800" not in other.text[other.text.index("<tbody>") : other.text.index("</tbody>")]
    assert 'data-room="800"' not in other.text


async def test_a_did_to_a_room_through_the_numbers_api(world: ConfWorld) -> None:
    c, h = world.client, world.auth("admin_a")
    room_id = (await _room(world)).json()["id"]
    made = await c.post("/api/v1/numbers", json={"e164": "+41215550177", "conference_id": room_id},
                        headers=h)  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["conference_id"] == room_id
    both = await c.post("/api/v1/numbers", headers=h, json={
        "e164": "+41215550178", "conference_id": room_id, "ring_group_id": 1,
    })  # fmt: skip
    assert (both.status_code, both.json()["error_id"]) == (422, "number-two-destinations")
    cleared = await c.patch(made.headers["location"], json={}, headers=h)
    assert cleared.json()["conference_id"] is None
    foreign = await c.post("/api/v1/numbers", headers=world.auth("admin_b"),
                           json={"e164": "+41215550179", "conference_id": room_id})  # fmt: skip
    assert (foreign.status_code, foreign.json()["error_id"]) == (404, "conference-not-found")

"""Tenant A owning one object of every kind, for the multi-tenant table
(`test_multitenant_table.py`): the app on a fresh database (SQLite and PostgreSQL), the seeded
partners, tenants and tokens of `conftest.py`, and a snapshot of everything to prove an attack
wrote nothing."""

from __future__ import annotations

import asyncio
import copy
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from centrex.api.app import create_app
from centrex.api.sources import RegistrationsFromEvents
from centrex.calls.live_state import InProcessLiveState
from centrex.calls.presence import PresenceView
from centrex.clock import ManualClock
from centrex.data.db import Database
from centrex.data.models import Base, Cdr, Direction, Disposition, LeadAttempt, PauseReason, Role
from centrex.events import EventBus, RegistrationChanged
from centrex.provisioning import extensions as extension_service
from centrex.provisioning import recordings, tenants
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from centrex.provisioning import voicemail as vm
from centrex.provisioning.storage import MediaStore
from tests.api.conftest import FakeCalls, World, _seed
from tests.apps.conftest import tone, write_wav
from tests.conftest import PostgresDatabases
from tests.helpers import api_wiring

A, B = "a.example.com", "b.example.com"

# Strings that only tenant A's objects (and partner One) carry: none may reach an attacker.
MARKERS = (
    "*4242",  # A's feature code for DND on
    "Zoe",
    "zoe@a.example.com",
    "Ursula",
    "41215550100",
    "call-zoe",
    "cdr-zoe",
    "10.9.9.9",
    "zoe-ci",
    "Partner One",
    A,
)


def wav_bytes(tmp: Path, name: str) -> bytes:
    return write_wav(tmp / name, tone(0.5)).read_bytes()


def prompt_graph(media_id: int, extension: str = "401") -> dict[str, Any]:
    """A small flow playing a tenant media file, then transferring to an extension."""
    return {
        "start": "hello",
        "nodes": [
            {"id": "hello", "type": "play", "prompt": {"media": media_id}, "next": "op"},
            {"id": "op", "type": "transfer", "target": {"kind": "extension", "value": extension}},
        ],
    }


@dataclass
class Env:
    world: World
    store: MediaStore
    tmp: Path
    ids: dict[str, Any] = field(default_factory=dict)  # path parameter -> A's (or B's) object


class _NoDevices:
    """The registrar as the presence view asks it: nothing registered (lamps are "offline")."""

    def lookup(self, tenant_id: int, number: str) -> list[object]:
        return []


@dataclass
class _Seeded:
    """Tenant A's world as seeded once per backend and run: a database to copy (a SQLite file, or
    a PostgreSQL database used as a template), its media files, and what lives in memory."""

    database: str  # SQLite file path, or PostgreSQL database name
    data_dir: Path
    tokens: dict[str, str]
    world_ids: dict[str, int]
    env_ids: dict[str, Any]
    calls: dict[int, list[dict[str, Any]]]
    wall: datetime
    monotonic: float


# The live state `_own_everything` puts in memory (replayed into every copy).
def _live_registration(tenant_id: int) -> RegistrationChanged:
    return RegistrationChanged(
        tenant_id=tenant_id, aor="sip:301@a.example.com", contact="sip:301@10.9.9.9", expires=3600
    )


class _World:
    """The app wired on one database, as every test of the table gets it."""

    def __init__(self, database_url: str, data_dir: Path, clock: ManualClock) -> None:
        self.database = Database(database_url)
        self.clock = clock
        self.bus = EventBus()
        self.registrations = RegistrationsFromEvents(self.bus, clock)
        self.calls = FakeCalls()
        wiring = api_wiring(data_dir)
        self.store: MediaStore = wiring["media_store"]
        self.app = create_app(
            self.database,
            clock=clock,
            events_bus=self.bus,
            registrations=self.registrations,
            calls=self.calls,
            presence=PresenceView(InProcessLiveState(), _NoDevices(), self.database),  # type: ignore[arg-type]
            portal=False,
            **wiring,
        )


async def _seed_once(url: str, database_name: str, workdir: Path) -> _Seeded:
    """Seed A's world through the API once (about two seconds), for every row to copy."""
    clock = ManualClock()
    world = _World(url, workdir / "data", clock)
    try:
        tokens, ids = await _seed(world.database, clock)
        transport = httpx.ASGITransport(app=world.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            state = World(client, world.database, world.bus, world.calls, world.registrations,
                          clock, tokens, ids)  # fmt: skip
            built = Env(state, world.store, workdir)
            await _own_everything(built)
    finally:
        await world.database.dispose()  # a PostgreSQL template must have no connection left
    return _Seeded(
        database=database_name,
        data_dir=workdir / "data",
        tokens=dict(built.world.tokens),
        world_ids=dict(built.world.ids),
        env_ids=dict(built.ids),
        calls=copy.deepcopy(world.calls.calls),
        wall=clock.utcnow(),
        monotonic=clock.monotonic(),
    )


_SEEDED: dict[str, _Seeded] = {}  # per backend, for the whole pytest process


@pytest.fixture
def seeded_copy(
    backend: str,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    postgres_databases: PostgresDatabases,
) -> tuple[str, _Seeded]:
    """A database URL holding a copy of the seeded world (seeded on first use), and the world.

    Synchronous on purpose: creating PostgreSQL databases runs its own event loop."""
    if backend not in _SEEDED:
        workdir = tmp_path_factory.mktemp(f"multitenant-{backend}")
        if backend == "sqlite":
            target = workdir / "seeded.db"
            shutil.copyfile(sqlite_template, target)
            url, name = f"sqlite+aiosqlite:///{target}", str(target)
        else:
            url = postgres_databases.fresh()
            name = url.rsplit("/", 1)[1]
        _SEEDED[backend] = asyncio.run(_seed_once(url, name, workdir))
    seeded = _SEEDED[backend]
    if backend == "sqlite":
        target = tmp_path / "copy.db"
        shutil.copyfile(seeded.database, target)
        url = f"sqlite+aiosqlite:///{target}"
    else:
        url = postgres_databases.fresh(template=seeded.database)
    shutil.copytree(seeded.data_dir, tmp_path / "data")
    return url, seeded


@pytest.fixture(name="env")
async def env_fixture(seeded_copy: tuple[str, _Seeded], tmp_path: Path) -> AsyncIterator[Env]:
    """A copy of the seeded world: its own database, media files and live state, so an attack
    that wrote anything would be seen by this test only (`test_a_copy_is_the_seeded_world`
    checks that a copy equals a world seeded from scratch)."""
    url, seeded = seeded_copy
    clock = ManualClock(seeded.wall, seeded.monotonic)
    world = _World(url, tmp_path / "data", clock)
    world.calls.calls = copy.deepcopy(seeded.calls)
    world.registrations.apply(_live_registration(seeded.world_ids["a"]))
    transport = httpx.ASGITransport(app=world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        state = World(client, world.database, world.bus, world.calls, world.registrations,
                      clock, dict(seeded.tokens), dict(seeded.world_ids))  # fmt: skip
        yield Env(state, world.store, tmp_path, dict(seeded.env_ids))
    await world.database.dispose()


@pytest.fixture(name="fresh_env")
async def fresh_env_fixture(database_url: str, tmp_path: Path) -> AsyncIterator[Env]:
    """A world seeded from scratch through the API (what every copy must equal)."""
    clock = ManualClock()
    world = _World(database_url, tmp_path / "fresh-data", clock)
    tokens, ids = await _seed(world.database, clock)
    transport = httpx.ASGITransport(app=world.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        state = World(client, world.database, world.bus, world.calls, world.registrations,
                      clock, tokens, ids)  # fmt: skip
        built = Env(state, world.store, tmp_path)
        await _own_everything(built)
        yield built
    await world.database.dispose()


async def _post(env: Env, who: str, path: str, **kwargs: Any) -> dict[str, Any]:
    response = await env.world.client.post(path, headers=env.world.auth(who), **kwargs)
    assert response.status_code == 201, (path, response.text)
    return dict(response.json())


async def _mailbox(env: Env, who: str, extension: str) -> int:
    """The mailbox of an extension (made on creation, or created here when it was not)."""
    c, headers = env.world.client, env.world.auth(who)
    listed = (await c.get("/api/v1/voicemail/boxes", headers=headers)).json()["items"]
    for box in listed:
        if box["extension"] == extension:
            return int(box["id"])
    body = {"extension": extension, "pin": "4321"}
    return int((await _post(env, who, "/api/v1/voicemail/boxes", json=body))["id"])


async def _own_everything(env: Env) -> None:
    """One object of every kind in tenant A (plus a few of B's, for update-with-reference)."""
    w, ids = env.world, env.ids
    a, p1 = w.ids["a"], w.ids["p1"]
    ids.update(tenant_id=a, partner_id=p1, greeting="busy", kind="it-admin", call_id="call-zoe")
    user = await _post(
        env, "admin_a", "/api/v1/users", json={"name": "Zoe", "email": "zoe@a.example.com"}
    )
    ids["user_id"] = user["id"]
    ext = await _post(
        env,
        "admin_a",
        "/api/v1/extensions",
        json={"number": "301", "name": "Zoe Desk", "user_id": user["id"]},
    )
    ids["extension_id"] = ext["id"]
    number = await _post(
        env, "admin_a", "/api/v1/numbers", json={"e164": "+41215550100", "extension_id": ext["id"]}
    )
    ids["number_id"] = number["id"]
    media = await _post(
        env,
        "admin_a",
        "/api/v1/media",
        files={"file": ("zoe.wav", wav_bytes(env.tmp, "zoe.wav"), "audio/wav")},
        data={"kind": "prompt", "name": "Zoe Prompt"},
    )
    ids["media_id"] = media["id"]
    flow = await _post(
        env,
        "admin_a",
        "/api/v1/flows",
        json={"name": "Zoe Flow", "graph": prompt_graph(media["id"], "301")},
    )
    ids["flow_id"] = flow["id"]
    binding = await _post(
        env,
        "admin_a",
        f"/api/v1/flows/{flow['id']}/bindings",
        json={"number": "+41215550100"},
    )
    ids["binding_id"] = binding["id"]
    ids["mailbox_id"] = await _mailbox(env, "admin_a", "301")
    greeting = await w.client.put(
        f"/api/v1/voicemail/boxes/{ids['mailbox_id']}/greetings/busy",
        files={"file": ("zoe-busy.wav", wav_bytes(env.tmp, "g.wav"), "audio/wav")},
        headers=w.auth("admin_a"),
    )
    assert greeting.status_code == 200, greeting.text
    token = await _post(
        env, "admin_a", "/api/v1/tokens", json={"role": "tenant-admin", "name": "zoe-ci"}
    )
    ids["token_id"] = token["id"]
    contact = await w.client.put(
        f"/api/v1/tenants/{a}/contacts/it-admin",
        json={"name": "Zoe Contact"},
        headers=w.auth("admin_a"),
    )
    assert contact.status_code == 200, contact.text
    async with w.database.transaction() as session:
        scope = await tenants.scope_for(session, A)
        box = await vm.get_mailbox(scope, ids["mailbox_id"])
        message = await vm.deposit_message(
            scope,
            env.store,
            box,
            write_wav(env.tmp / "m.wav", tone(0.5)),
            caller="+41215550999",
            caller_name="Zoe Caller",
            now=w.clock.utcnow(),
        )
        ids["message_id"] = message.id
        cdr = scope.add(
            Cdr(
                call_id="cdr-zoe",
                caller="301",
                callee="+41215550999",
                direction=Direction.OUTBOUND,
                started_at=w.clock.utcnow(),
                disposition=Disposition.ANSWERED,
                billsec=12,
            )
        )
        await session.flush()
        ids["cdr_id"] = cdr.id
        _relative, path = env.store.new_file(a, "recordings")
        write_wav(path, tone(0.5))
        recording = await recordings.register_recording(
            scope, env.store, call_id="cdr-zoe", path=path, now=w.clock.utcnow(), cdr_id=cdr.id
        )
        ids["recording_id"] = recording.id
    w.calls.calls[a] = [
        {"call_id": "call-zoe", "caller": "301", "callee": "+41215550999", "state": "answered"}
    ]
    w.registrations.apply(_live_registration(a))
    # tenant B's own objects, which B then tries to point at A's
    b_ext = await _post(env, "admin_b", "/api/v1/extensions", json={"number": "401"})
    ids["b_extension_id"] = b_ext["id"]
    b_number = await _post(env, "admin_b", "/api/v1/numbers", json={"e164": "+41215550200"})
    ids["b_number_id"] = b_number["id"]
    b_flow = await _post(
        env,
        "admin_b",
        "/api/v1/flows",
        json={"name": "Own", "graph": {"start": "h", "nodes": [{"id": "h", "type": "hangup"}]}},
    )
    ids["b_flow_id"] = b_flow["id"]
    group = await _post(
        env,
        "admin_a",
        "/api/v1/ring-groups",
        json={"number": "600", "members": [{"target": "301"}]},
    )
    ids["ring_group_id"] = group["id"]
    b_group = await _post(
        env,
        "admin_b",
        "/api/v1/ring-groups",
        json={"number": "600", "members": [{"target": "401"}]},
    )
    ids["b_ring_group_id"] = b_group["id"]
    room = await _post(env, "admin_a", "/api/v1/conferences",
                       json={"number": "880", "name": "Zoe", "pin": "4711"})  # fmt: skip
    ids["conference_id"], ids["conference_participant_id"] = room["id"], 1
    queue = await _post(env, "admin_a", "/api/v1/queues",
                        json={"number": "501", "members": [{"extension": "301"}]})  # fmt: skip
    ids["queue_id"], ids["a_agent"] = queue["id"], "301"
    # A's own pause reason (a marker B must never see); B's defaults are written on its first
    # read, done here so that read (B's own data) is not taken for a write by an attack
    async with env.world.database.transaction() as session:
        scope = await tenants.scope_for(session, A)
        scope.add(PauseReason(code=4, label="Zoe training"))
    for admin in ("admin_a", "admin_b"):
        seeded = await env.world.client.get(
            "/api/v1/agents/pause-reasons", headers=env.world.auth(admin)
        )
        assert seeded.status_code == 200, seeded.text
    for name, direction in (("blocklist", "inbound"), ("allowlist", "outbound")):
        entry = await _post(
            env,
            "admin_a",
            f"/api/v1/{name}",
            json={"pattern": "+41215550100", "direction": direction, "extension": "301"},
        )
        ids[f"{name}_id"] = entry["id"]
    # A's own feature code (a marker: B's list must never show it) and short number
    chosen = await env.world.client.patch(
        "/api/v1/feature-codes", headers=env.world.auth("admin_a"), json={"dnd-on": "*4242"}
    )
    assert chosen.status_code == 200, chosen.text
    short = await _post(
        env, "admin_a", "/api/v1/short-numbers", json={"number": "20", "target": "+41215550100"}
    )
    ids["short_number_id"], ids["short_number"] = short["id"], short["number"]
    rule = await _post(env, "admin_a", "/api/v1/caller-id-rules",
                       json={"prefix": "33", "number": "+41215550100"})  # fmt: skip
    ids["caller_id_rule_id"] = rule["id"]
    await _contact_center(env)
    from tests.api.multitenant_extra import seed_extras  # its modules import this one

    await seed_extras(env)


async def _contact_center(env: Env) -> None:
    """A's campaign (A's extension as agent, A's number as caller ID), one import batch with a
    lead, and a DNC entry; B's own campaign, which B then tries to point at A's extension."""
    ids = env.ids
    campaign = await _post(env, "admin_a", "/api/v1/campaigns",
                           json={"name": "Zoe Campaign", "method": "predictive", "agents": ["301"],
                                 "caller_id": "+41215550100"})  # fmt: skip
    ids["campaign_id"] = campaign["id"]
    upload = {"file": ("zoe-leads.csv", b"number,name\n+41445550100,Zoe Lead\n", "text/csv")}
    imported = await _post(env, "admin_a", "/api/v1/leads/import", files=upload,
                           data={"campaign_id": str(campaign["id"])})  # fmt: skip
    ids["batch_id"] = imported["batch"]
    headers = env.world.auth("admin_a")
    leads = (await env.world.client.get("/api/v1/leads", headers=headers)).json()["items"]
    ids["lead_id"] = leads[0]["id"]
    await _post(env, "admin_a", "/api/v1/dnc", json={"number": "+41445550199", "note": "Zoe"})
    entries = (await env.world.client.get("/api/v1/dnc", headers=headers)).json()["items"]
    ids["dnc_id"] = entries[0]["id"]
    own = await _post(env, "admin_b", "/api/v1/campaigns",
                      json={"name": "Own", "method": "preview", "agents": ["401"]})  # fmt: skip
    ids["b_campaign_id"] = own["id"]
    callback = await _post(env, "admin_a", "/api/v1/callbacks",
                           json={"campaign_id": campaign["id"], "lead_id": ids["lead_id"],
                                 "at": "2026-06-01T10:00", "extension": "301",
                                 "note": "Zoe callback"})  # fmt: skip
    ids["callback_id"] = callback["id"]
    await _dispositions(env)


async def _dispositions(env: Env) -> None:
    """A's own disposition code, A's lead last called by Zoe's extension (301), and an agent of
    A with an extension of its own (302) and a token: it may not disposition Zoe's lead."""
    ids, w = env.ids, env.world
    made = await _post(env, "admin_a", "/api/v1/dispositions",
                       json={"code": "zoe-deal", "label": "Zoe deal"})  # fmt: skip
    ids["disposition_code"] = made["code"]
    now = w.clock.utcnow()
    async with w.database.transaction() as session:
        scope = await tenants.scope_for(session, A)
        scope.add(LeadAttempt(lead_id=ids["lead_id"], campaign_id=ids["campaign_id"],
                              started_at=now, ended_at=now, outcome="answered",
                              extension_id=ids["extension_id"]))  # fmt: skip
        agent = await user_service.create_user(scope, name="Agent Alice", role="agent",
                                               email="alice@a.example.com")  # fmt: skip
        await extension_service.create_extension(scope, number="302", user_id=agent.id,
                                                 voicemail=False)  # fmt: skip
        token = await token_service.create_token(session, role=Role.AGENT, now=now,
                                                 tenant_id=scope.tenant_id, user_id=agent.id)  # fmt: skip
        w.tokens["agent_a"] = token.secret


async def snapshot(env: Env, tenant_id: int | None = None) -> dict[str, Any]:
    """Every row of every table (or only one tenant's), the media files and the live state."""
    tables: dict[str, list[str]] = {}
    async with env.world.database.session() as session:
        for table in Base.metadata.sorted_tables:
            stmt = select(table)
            if tenant_id is not None:
                if "tenant_id" in table.c:
                    stmt = stmt.where(table.c.tenant_id == tenant_id)
                elif table.name == "tenants":
                    stmt = stmt.where(table.c.id == tenant_id)
                else:
                    continue
            tables[table.name] = sorted(repr(tuple(row)) for row in (await session.execute(stmt)))
    root = env.store.data_dir
    prefix = f"tenants/{tenant_id}/" if tenant_id is not None else ""
    files = sorted(
        (p.relative_to(root).as_posix(), p.stat().st_size)
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).as_posix().startswith(prefix)
    )
    a = env.world.ids["a"]
    live = (repr(env.world.calls.calls.get(a)), repr(await env.world.registrations.list(a)))
    return {"tables": tables, "files": files, "live": live}

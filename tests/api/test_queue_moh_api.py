"""A queue's own music on hold through /api/v1/queues (SQLite and PostgreSQL): `moh` set on
create to a media file of the tenant (moh or prompt), read back, changed and cleared by PATCH;
refused (422 `queue-moh-unknown`, nothing written) for another tenant's file or an unknown one;
the file a queue plays cannot be deleted (409 `media-in-use`, file and choice kept) until the
queue lets it go; the database's ON DELETE SET NULL clears the choice if a row goes anyway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, select

from centrex.data.models import CallQueue, MediaFile
from tests.api.conftest import World
from tests.api.multitenant_world import wav_bytes

Q, M = "/api/v1/queues", "/api/v1/media"


async def _ok(world: World, method: str, path: str, who: str = "admin_a", status: int = 200,
              **kwargs: Any) -> Any:  # fmt: skip
    response = await world.client.request(method, path, headers=world.auth(who), **kwargs)
    assert response.status_code == status, (method, path, response.text)
    return response.json() if response.content and status != 204 else None


async def _media(world: World, tmp: Path, who: str, kind: str, name: str) -> int:
    upload = {"file": (f"{name}.wav", wav_bytes(tmp, f"{name}.wav"), "audio/wav")}
    made = await _ok(world, "POST", M, who, 201, files=upload, data={"kind": kind, "name": name})
    return int(made["id"])


async def _setup(world: World, tmp_path: Path) -> dict[str, int]:
    for who, number in (("admin_a", "301"), ("admin_b", "401")):
        await _ok(world, "POST", "/api/v1/extensions", who, 201, json={"number": number})
    return {
        "moh": await _media(world, tmp_path, "admin_a", "moh", "Zoe Music"),
        "prompt": await _media(world, tmp_path, "admin_a", "prompt", "Zoe Prompt"),
        "b_moh": await _media(world, tmp_path, "admin_b", "moh", "Mallory Music"),
    }


def _queue(number: str, **extra: Any) -> dict[str, Any]:
    return {"number": number, "members": [{"extension": "301"}], **extra}


async def test_moh_set_read_changed_and_cleared(world: World, tmp_path: Path) -> None:
    media = await _setup(world, tmp_path)
    made = await _ok(world, "POST", Q, status=201, json=_queue("501", moh=media["moh"]))
    assert made["moh"] == media["moh"]
    assert (await _ok(world, "GET", f"{Q}/{made['id']}"))["moh"] == media["moh"]
    plain = await _ok(world, "POST", Q, status=201, json=_queue("502"))
    assert plain["moh"] is None  # the tenant's default music
    changed = await _ok(world, "PATCH", f"{Q}/{made['id']}", json={"moh": media["prompt"]})
    assert changed["moh"] == media["prompt"]  # a prompt may serve as the queue's music
    renamed = await _ok(world, "PATCH", f"{Q}/{made['id']}", json={"name": "Sales"})
    assert renamed["moh"] == media["prompt"]  # not given: kept
    cleared = await _ok(world, "PATCH", f"{Q}/{made['id']}", json={"moh": None})
    assert cleared["moh"] is None
    listed = (await _ok(world, "GET", Q))["items"]
    assert {item["number"]: item["moh"] for item in listed} == {"501": None, "502": None}


async def test_another_tenants_or_unknown_file_is_refused(world: World, tmp_path: Path) -> None:
    media = await _setup(world, tmp_path)
    for moh in (media["b_moh"], 999999):
        refused = await world.client.post(Q, headers=world.auth("admin_a"),
                                          json=_queue("501", moh=moh))  # fmt: skip
        assert refused.status_code == 422, refused.text
        assert refused.json()["error_id"] == "queue-moh-unknown"
    assert (await _ok(world, "GET", Q))["total"] == 0  # nothing written
    made = await _ok(world, "POST", Q, status=201, json=_queue("501", moh=media["moh"]))
    refused = await world.client.patch(f"{Q}/{made['id']}", headers=world.auth("admin_a"),
                                       json={"moh": media["b_moh"], "name": "Mallory"})  # fmt: skip
    assert refused.status_code == 422, refused.text
    assert refused.json()["error_id"] == "queue-moh-unknown"
    kept = await _ok(world, "GET", f"{Q}/{made['id']}")
    assert (kept["moh"], kept["name"]) == (media["moh"], "")  # nothing changed
    # B cannot point its own queue at A's file either
    await _ok(world, "POST", Q, "admin_b", 422, json={"number": "501", "moh": media["moh"],
                                                       "members": [{"extension": "401"}]})  # fmt: skip


async def test_a_file_in_use_by_a_queue_is_not_deleted(world: World, tmp_path: Path) -> None:
    media = await _setup(world, tmp_path)
    made = await _ok(world, "POST", Q, status=201, json=_queue("501", moh=media["moh"]))
    refused = await world.client.delete(f"{M}/{media['moh']}", headers=world.auth("admin_a"))
    assert refused.status_code == 409, refused.text
    assert refused.json()["error_id"] == "media-in-use"
    assert "501" in refused.json()["detail"]
    await _ok(world, "GET", f"{M}/{media['moh']}")  # the file is kept
    assert (await _ok(world, "GET", f"{Q}/{made['id']}"))["moh"] == media["moh"]
    await _ok(world, "DELETE", f"{M}/{media['prompt']}", status=204)  # unused: deleted
    await _ok(world, "PATCH", f"{Q}/{made['id']}", json={"moh": None})
    await _ok(world, "DELETE", f"{M}/{media['moh']}", status=204)


async def test_the_database_clears_the_choice_when_the_file_row_goes(
    world: World, tmp_path: Path
) -> None:
    media = await _setup(world, tmp_path)
    made = await _ok(world, "POST", Q, status=201, json=_queue("501", moh=media["moh"]))
    async with world.database.transaction() as session:
        await session.execute(delete(MediaFile).where(MediaFile.id == media["moh"]))
    async with world.database.transaction() as session:
        moh = await session.scalar(select(CallQueue.moh_id).where(CallQueue.id == made["id"]))
    assert moh is None
    assert (await _ok(world, "GET", f"{Q}/{made['id']}"))["moh"] is None

"""The queues page's music-on-hold choice (issue 21), on both databases: the select offers the
tenant's MOH and prompt files (never another tenant's, never a greeting), a queue created and
edited with one keeps it (checked through the API), another tenant's file posted anyway is
refused with a message and nothing changed, and the empty choice goes back to the tenant's
music."""

from __future__ import annotations

from centrex.data.db import Database
from centrex.data.models import MediaFile, MediaKind
from centrex.data.tenancy import TenantScope
from centrex.provisioning import tenants as tenant_service
from tests.web.conftest import PortalServer
from tests.web.test_ring_groups_page import ADMIN, OTHER, csrf_of, run, seed
from tests.web.test_switchboard_page import logged_in


def _media(scope: TenantScope, kind: MediaKind, name: str) -> MediaFile:
    return scope.add(MediaFile(kind=kind, name=name, path=f"{scope.tenant_id}/{name}.wav",
                               duration_ms=1000, size_bytes=8044))  # fmt: skip


async def seed_media(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        async with database.transaction() as session:
            acme = await tenant_service.scope_for(session, "acme.example.com")
            globex = await tenant_service.scope_for(session, OTHER)
            rows = {
                "jazz": _media(acme, MediaKind.MOH, "Acme Jazz"),
                "prompt": _media(acme, MediaKind.PROMPT, "Acme Welcome"),
                "greeting": _media(acme, MediaKind.GREETING, "Acme Greeting"),
                "other": _media(globex, MediaKind.MOH, "Globex Tune"),
            }
            await session.flush()
            return {key: row.id for key, row in rows.items()}
    finally:
        await database.dispose()


def _form(csrf: str, **extra: str) -> dict[str, str]:
    return {"csrf": csrf, "number": "500", "name": "Support", "strategy": "ring-all",
            "members": "203", **extra}  # fmt: skip


def test_queue_music_choice(portal_server: PortalServer, database_url: str) -> None:
    run(portal_server, seed(database_url))
    media = run(portal_server, seed_media(database_url))
    with logged_in(portal_server.base_url, *ADMIN) as admin:
        listing = admin.get("/tenant/queues")
        assert f'<option value="{media["jazz"]}">Acme Jazz (music on hold)</option>' in listing.text
        assert f'<option value="{media["prompt"]}">Acme Welcome (prompt)</option>' in listing.text
        assert "Acme Greeting" not in listing.text
        assert "Globex Tune" not in listing.text
        token = csrf_of(listing.text)

        refused = admin.post("/tenant/queues", data=_form(token, moh=str(media["other"])))
        assert 'class="flash error"' in refused.text
        assert "Unknown music" in refused.text
        assert admin.get("/api/v1/queues").json()["total"] == 0  # nothing written
        made = admin.post("/tenant/queues", data=_form(token, moh=str(media["jazz"])))
        assert "Queue 500 created." in made.text
        [queue] = admin.get("/api/v1/queues").json()["items"]
        assert queue["moh"] == media["jazz"]

        edit = admin.get(f"/tenant/queues/{queue['id']}")
        assert f'<option value="{media["jazz"]}" selected>' in edit.text
        for bad in (media["other"], media["greeting"]):
            refused = admin.post(f"/tenant/queues/{queue['id']}",
                                 data=_form(token, moh=str(bad), name="Mallory"))  # fmt: skip
            assert "Unknown music" in refused.text, bad
            kept = admin.get(f"/api/v1/queues/{queue['id']}").json()
            assert (kept["moh"], kept["name"]) == (media["jazz"], "Support"), bad
        admin.post(f"/tenant/queues/{queue['id']}", data=_form(token, moh=str(media["prompt"])))
        assert admin.get(f"/api/v1/queues/{queue['id']}").json()["moh"] == media["prompt"]
        admin.post(f"/tenant/queues/{queue['id']}", data=_form(token, moh=""))
        assert admin.get(f"/api/v1/queues/{queue['id']}").json()["moh"] is None

"""/api/v1/campaigns, /api/v1/leads and /api/v1/dnc (SQLite and PostgreSQL): the lifecycle of a
campaign (create, read, PATCH, start/pause/stop, focus, stats, delete), a multipart lead import
with a column mapping and its exact answer, search, CSV/XLSX export, batches and rollback, DNC
by number and by file; bad input 422 with nothing written; and, for each of the three
resources, five multi-tenant checks: B's list shows none of A's, B reads A's object → 404,
B creates pointing at A's → refused, B changes A's → 404, B deletes A's → 404."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from tests.api.conftest import World

C, L, D = "/api/v1/campaigns", "/api/v1/leads", "/api/v1/dnc"
LEADS = "Name;Phone;Zip;Company\nZoe Lead;044 555 00 01;8001;Zoe AG\nBad;12;1;\nTwice;+41445550001;8001;\nBlocked;+41 44 555 00 09;3000;\nBern;031 555 00 02;3001;Bären\n"


async def _ok(world: World, method: str, path: str, who: str = "admin_a", status: int = 200,
              **kwargs: Any) -> Any:  # fmt: skip
    response = await world.client.request(method, path, headers=world.auth(who), **kwargs)
    assert response.status_code == status, (method, path, response.text)
    return response.json() if response.content and status != 204 else None


async def _setup(world: World) -> dict[str, Any]:
    for who, number in (("admin_a", "301"), ("admin_b", "401")):
        await _ok(world, "POST", "/api/v1/extensions", who, 201, json={"number": number})
    await _ok(world, "POST", "/api/v1/numbers", "admin_a", 201, json={"e164": "+41215550100"})
    made = await _ok(world, "POST", C, status=201,
                     json={"name": "Zoe Spring", "method": "predictive", "agents": ["301"],
                           "caller_id": "+41215550100", "window": "09:00-19:00"})  # fmt: skip
    await _ok(world, "POST", D, status=201, json={"number": "+41445550009"})
    imported = await _ok(world, "POST", f"{L}/import", status=201,
                         files={"file": ("zoe.csv", LEADS.encode(), "text/csv")},
                         data={"campaign_id": str(made["id"]),
                               "map": ["number=Phone", "name=Name", "postal_code=Zip"]})  # fmt: skip
    return {"campaign": made, "import": imported}


async def test_campaign_lifecycle(world: World) -> None:
    made = (await _setup(world))["campaign"]
    assert {k: made[k] for k in ("name", "method", "drop_target", "caller_id", "window", "status",
                                 "agents", "leads")} == {
        "name": "Zoe Spring", "method": "predictive", "drop_target": 0.03,
        "caller_id": "+41215550100", "window": "09:00-19:00", "status": "draft",
        "agents": ["301"], "leads": 0,
    }  # fmt: skip
    cid = made["id"]
    read = await _ok(world, "GET", f"{C}/{cid}")
    assert (read["name"], read["leads"]) == ("Zoe Spring", 2)  # imported after the create
    patched = await _ok(world, "PATCH", f"{C}/{cid}", json={"ratio": 2, "caller_id": "local"})
    assert (patched["ratio"], patched["caller_id"]) == (2.0, "local")
    for action, status in (("start", "running"), ("pause", "paused"), ("stop", "stopped")):
        assert (await _ok(world, "POST", f"{C}/{cid}/{action}"))["status"] == status
    bad = await _ok(world, "POST", f"{C}/{cid}/pause", status=409)
    assert bad["error_id"] == "campaign-bad-transition"
    focus = await _ok(world, "PUT", f"{C}/{cid}/focus", json={"postal_codes": ["80", "3001"]})
    assert focus["postal_focus"] == ["80", "3001"]
    stats = await _ok(world, "GET", f"{C}/{cid}/stats")
    assert (stats["placed"], stats["drop_pct"]) == (0, 0.0)
    listed = await _ok(world, "GET", C)
    assert [c["name"] for c in listed["items"]] == ["Zoe Spring"]
    await _ok(world, "DELETE", f"{C}/{cid}", status=204)
    assert (await _ok(world, "GET", L))["total"] == 0  # its leads went with it


async def test_bad_campaigns_are_refused(world: World) -> None:
    await _setup(world)
    cases = [
        ({"name": "X", "method": "predictive", "window": "10:00-10:00"}, "campaign-bad-window"),
        ({"name": "X", "method": "predictive", "agents": ["999"]}, "campaign-agent-unknown"),
        ({"name": "X", "method": "predictive", "caller_id": "+41215550999"},
         "campaign-caller-id-not-owned"),
    ]  # fmt: skip
    for body, error in cases:
        answer = await _ok(world, "POST", C, status=422, json=body)
        assert answer["error_id"] == error
    assert (await _ok(world, "POST", C, status=409, json={"name": "Zoe Spring",
                                                          "method": "ratio"}))["error_id"] == (
        "campaign-exists"
    )  # fmt: skip
    assert await _ok(world, "POST", C, status=422, json={"name": "Y", "method": "robot"})
    naked = await _ok(world, "POST", C, status=201, json={"name": "Naked", "method": "preview"})
    no_agents = await _ok(world, "POST", f"{C}/{naked['id']}/start", status=422)
    assert no_agents["error_id"] == "campaign-without-agents"
    assert (await _ok(world, "GET", C))["total"] == 2
    assert (await _ok(world, "GET", C, "user_a", 403))["error_id"] == "forbidden"


async def test_import_search_export_rollback(world: World) -> None:
    done = await _setup(world)
    imported, cid = done["import"], done["campaign"]["id"]
    assert imported == {"batch": imported["batch"], "imported": 2,
                        "rejected": [{"line": 3, "error": "too short: '12'"}],
                        "dnc_filtered": 1, "duplicates": 1}  # fmt: skip
    found = await _ok(world, "GET", L, params={"query": "bären"})
    assert [x["name"] for x in found["items"]] == ["Bern"]
    assert found["items"][0]["custom"] == {"Company": "Bären"}
    assert (await _ok(world, "GET", L, params={"postal_code": "80", "campaign_id": cid}))[
        "total"] == 1  # fmt: skip
    lead_id = found["items"][0]["id"]
    one = await _ok(world, "GET", f"{L}/{lead_id}")
    assert (one["number"], one["history"]) == ("+41315550002", [])
    csv_export = await world.client.get(f"{L}/export", params={"campaign_id": cid},
                                        headers=world.auth("admin_a"))  # fmt: skip
    assert csv_export.status_code == 200
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert "+41445550001,Zoe Lead,8001,new,0" in csv_export.content.decode("utf-8-sig")
    xlsx = await world.client.get(f"{L}/export", params={"campaign_id": cid, "format": "xlsx"},
                                  headers=world.auth("admin_a"))  # fmt: skip
    rows = list(load_workbook(io.BytesIO(xlsx.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3
    batches = await _ok(world, "GET", f"{L}/batches")
    assert [(b["filename"], b["imported"], b["rejected"]) for b in batches["items"]] == [
        ("zoe.csv", 2, 1)]  # fmt: skip
    gone = await _ok(world, "POST", f"{L}/batches/{imported['batch']}/rollback")
    assert gone == {"batch": imported["batch"], "leads": 2, "attempts": 0}
    assert (await _ok(world, "GET", L))["total"] == 0
    await _ok(world, "GET", f"{L}/batches/{imported['batch']}", status=404)


async def test_broken_uploads_write_nothing(world: World) -> None:
    cid = (await _setup(world))["campaign"]["id"]
    before = await _ok(world, "GET", f"{L}/batches")
    for data, mapping, error in (
        (b"", [], "lead-file-empty"),
        (b"Name;Tel\nA;0445550000\n", ["number=Phone"], "lead-file-columns"),
        (b"PK\x03\x04junk", [], "lead-file-format"),
        (b"Tel\n0445550000\n", ["number"], "lead-bad-mapping"),
    ):
        answer = await _ok(world, "POST", f"{L}/import", status=422,
                           files={"file": ("x.csv", data, "text/csv")},
                           data={"campaign_id": str(cid), "map": mapping})  # fmt: skip
        assert answer["error_id"] == error, answer
    assert await _ok(world, "GET", f"{L}/batches") == before


async def test_dnc_number_file_list_delete(world: World) -> None:
    cid = (await _setup(world))["campaign"]["id"]
    assert (await _ok(world, "POST", D, status=201, json={"number": "044 555 00 09"}))[
        "existing"] == 1  # fmt: skip
    upload = await _ok(world, "POST", f"{D}/import", status=201,
                       files={"file": ("dnc.txt", b"+41445550020\nnope\n", "text/plain")},
                       data={"campaign_id": str(cid)})  # fmt: skip
    assert upload == {"added": 1, "existing": 0,
                      "rejected": [{"line": 2, "error": "not a phone number: 'nope'"}]}  # fmt: skip
    tenant_wide = await _ok(world, "GET", D)
    assert [e["number"] for e in tenant_wide["items"]] == ["+41445550009"]
    every = await _ok(world, "GET", D, params={"all": "true"})
    assert {e["campaign"] for e in every["items"]} == {None, "Zoe Spring"}
    entry = tenant_wide["items"][0]["id"]
    await _ok(world, "DELETE", f"{D}/{entry}", status=204)
    assert (await _ok(world, "GET", D))["total"] == 0
    assert (await _ok(world, "POST", D, status=422, json={"number": "12"}))["error_id"] == (
        "dnc-bad-number"
    )


async def test_five_multi_tenant_checks_per_resource(world: World) -> None:
    done = await _setup(world)
    cid, batch = done["campaign"]["id"], done["import"]["batch"]
    lead = (await _ok(world, "GET", L))["items"][0]["id"]
    dnc_id = (await _ok(world, "GET", D))["items"][0]["id"]
    # 1. lists show none of A's
    for path in (C, L, D, f"{L}/batches"):
        assert (await _ok(world, "GET", path, "admin_b"))["total"] == 0, path
    # 2. reads → 404
    for path in (f"{C}/{cid}", f"{C}/{cid}/stats", f"{L}/{lead}", f"{L}/batches/{batch}"):
        await _ok(world, "GET", path, "admin_b", 404)
    await _ok(world, "GET", f"{L}/export", "admin_b", 404, params={"campaign_id": cid})
    await _ok(world, "GET", L, "admin_b", 404, params={"campaign_id": cid})
    # 3. creating with a reference to A's objects is refused
    for body, status, error in (
        ({"name": "M", "method": "ratio", "agents": ["301"]}, 422, "campaign-agent-unknown"),
        ({"name": "M", "method": "ratio", "caller_id": "+41215550100"}, 422,
         "campaign-caller-id-not-owned"),
    ):  # fmt: skip
        assert (await _ok(world, "POST", C, "admin_b", status, json=body))["error_id"] == error
    refused = await _ok(world, "POST", f"{L}/import", "admin_b", 404,
                        files={"file": ("m.csv", b"number\n+41445550077\n", "text/csv")},
                        data={"campaign_id": str(cid)})  # fmt: skip
    assert refused["error_id"] == "campaign-not-found"
    await _ok(world, "POST", D, "admin_b", 404, json={"number": "+41445550077",
                                                      "campaign_id": cid})  # fmt: skip
    # 4. changes → 404
    await _ok(world, "PATCH", f"{C}/{cid}", "admin_b", 404, json={"name": "Mallory"})
    for action in ("start", "pause", "stop"):
        await _ok(world, "POST", f"{C}/{cid}/{action}", "admin_b", 404)
    await _ok(world, "PUT", f"{C}/{cid}/focus", "admin_b", 404, json={"postal_codes": []})
    await _ok(world, "POST", f"{L}/batches/{batch}/rollback", "admin_b", 404)
    # 5. deletes → 404
    await _ok(world, "DELETE", f"{C}/{cid}", "admin_b", 404)
    await _ok(world, "DELETE", f"{D}/{dnc_id}", "admin_b", 404)
    # A's objects are untouched
    assert (await _ok(world, "GET", f"{C}/{cid}"))["name"] == "Zoe Spring"
    assert (await _ok(world, "GET", L))["total"] == 2
    assert (await _ok(world, "GET", D))["total"] == 1

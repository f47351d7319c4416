"""/api/v1/balance (SQLite and PostgreSQL): the balance, reserved credit and currency as decimal
strings; a top-up by the platform admin or the tenant's partner (201, a ledger entry), refused
to the tenant admin and a plain user (403) and to another partner (404, the tenant is out of its
reach); a bad amount 422 (`invalid-amount`) writing nothing; the ledger newest first."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import World

BALANCE, TOP_UPS, LEDGER = "/api/v1/balance", "/api/v1/balance/top-ups", "/api/v1/balance/ledger"
A = "a.example.com"


async def _call(world: World, method: str, path: str, who: str, tenant: str | None = None,
                **kwargs: Any) -> Any:  # fmt: skip
    return await world.client.request(method, path, headers=world.auth(who, tenant), **kwargs)


async def test_top_ups_the_balance_and_the_ledger_with_each_roles_reach(world: World) -> None:
    first = await _call(world, "GET", BALANCE, "admin_a")
    assert first.status_code == 200, first.text
    assert first.json() == {"balance": "0.0000", "reserved": "0.0000", "currency": "CHF",
                            "prepaid": False}  # fmt: skip
    by_root = await _call(world, "POST", TOP_UPS, "root", A,
                          json={"amount": "10.00", "reference": "wire 1"})  # fmt: skip
    assert by_root.status_code == 201, by_root.text
    assert by_root.headers["Location"] == BALANCE
    assert by_root.json()["balance"] == "10.0000"
    by_partner = await _call(world, "POST", TOP_UPS, "p1", A, json={"amount": "2.5"})
    assert by_partner.status_code == 201, by_partner.text
    assert by_partner.json()["balance"] == "12.5000"
    for who in ("admin_a", "user_a"):
        refused = await _call(world, "POST", TOP_UPS, who, json={"amount": "100"})
        assert refused.status_code == 403, (who, refused.text)
    other_partner = await _call(world, "POST", TOP_UPS, "p2", A, json={"amount": "100"})
    assert other_partner.status_code == 404
    assert other_partner.json()["error_id"].endswith("tenant-not-found")
    for bad in ("-1", "abc", "0", "1.00001"):
        wrong = await _call(world, "POST", TOP_UPS, "root", A, json={"amount": bad})
        assert wrong.status_code == 422, (bad, wrong.text)
        assert wrong.json()["error_id"] == "invalid-amount"
    unknown_field = await _call(world, "POST", TOP_UPS, "root", A, json={"amount": "1", "x": 1})
    assert unknown_field.status_code == 422
    assert (await _call(world, "GET", BALANCE, "user_a")).status_code == 403
    seen = {who: (await _call(world, "GET", BALANCE, who, tenant)).json()["balance"]
            for who, tenant in (("admin_a", None), ("root", A), ("p1", A))}  # fmt: skip
    assert seen == {"admin_a": "12.5000", "root": "12.5000", "p1": "12.5000"}
    b_side = await _call(world, "GET", BALANCE, "admin_b")
    assert b_side.json()["balance"] == "0.0000"  # B's own, untouched
    ledger = await _call(world, "GET", LEDGER, "admin_a")
    assert ledger.status_code == 200, ledger.text
    body = ledger.json()
    assert body["total"] == 2
    assert [(e["kind"], e["amount"], e["balance_after"], e["reference"])
            for e in body["items"]] == [("topup", "2.5000", "12.5000", None),
                                        ("topup", "10.0000", "10.0000", "wire 1")]  # fmt: skip
    page = await _call(world, "GET", LEDGER, "admin_a", params={"limit": 1, "offset": 1})
    assert [e["reference"] for e in page.json()["items"]] == ["wire 1"]
    assert (await _call(world, "GET", LEDGER, "admin_b")).json() == {"total": 0, "items": []}
    assert (await _call(world, "GET", LEDGER, "user_a")).status_code == 403

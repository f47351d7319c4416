"""Rows of the prepaid balance (issue 20 item 2): `/api/v1/balance`, its ledger and top-ups,
attacked from outside tenant A. The balance and the top-ups have no id of A's in their path:
they are reached only by naming A (`Centrex-Tenant`), which every attacker is refused (404
`tenant-not-found`); the ledger is a list that must never show A's entry. `seed` tops A up
once (root, naming A), with a reference only A carries."""

from __future__ import annotations

from tests.api.multitenant_row import LIST, READ, WRITE, Row, V, json_body
from tests.api.multitenant_world import A, Env

NAMING_A = (("admin_b", A), ("p2", A))

ROWS: list[Row] = [
    Row("GET", f"{V}/balance", READ, attackers=NAMING_A),
    Row("GET", f"{V}/balance/ledger", LIST, own="ledger_entry_id"),
    Row(
        "POST",
        f"{V}/balance/top-ups",
        WRITE,
        body=json_body({"amount": "99.00", "reference": "mallory"}),
        attackers=NAMING_A,
    ),
]


async def seed(env: Env) -> None:
    """A's credit is topped up once; its ledger entry's id is `ledger_entry_id`."""
    client, auth = env.world.client, env.world.auth
    response = await client.post(f"{V}/balance/top-ups", headers=auth("root", A),
                                 json={"amount": "12.50", "reference": "zoe-ci top-up"})  # fmt: skip
    assert response.status_code == 201, response.text
    ledger = await client.get(f"{V}/balance/ledger", headers=auth("root", A))
    assert ledger.status_code == 200, ledger.text
    env.ids["ledger_entry_id"] = ledger.json()["items"][0]["id"]

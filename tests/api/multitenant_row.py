"""The multi-tenant table's row type and body builders, shared by `test_multitenant_table.py` and
the per-feature row modules of `tests/api/multitenant_extra/` (each a `ROWS` list and a `seed`
coroutine that gives tenant A its objects of that feature), so a feature adds its isolation rows
in a file of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.api.multitenant_world import Env, wav_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Body = Callable[[Env], dict[str, Any]]


# ---------------------------------------------------------------------------------- the table

TENANT = "tenant"  # behind `Centrex-Tenant` (TenantScope): attacked from B and by naming A
REACH = "reach"  # tenants and tokens (Reach): attacked by B's admin and partner Two
PARTNER = "partner"  # partners (Reach): attacked by partner Two

LIST, READ, WRITE, CREATE, REFERENCE = "list", "read", "write", "create", "reference"


@dataclass(frozen=True)
class Row:
    """One attack: `verb` decides what the right answer is.

    list: 200 without any of A's objects; read/write: A's object in the path, 404; reference:
    an object of the attacker's own pointing at A's, refused with `status`; create: nothing to
    point at (only naming A is tried, and the attacker's own create must stay out of A)."""

    method: str
    path: str
    verb: str
    kind: str = TENANT
    body: Body | None = None
    params: dict[str, str] = field(default_factory=dict)  # path parameter -> key in Env.ids
    query: dict[str, str] = field(default_factory=dict)
    status: int = 404
    error: str = "not-found"  # error_id suffix, or an issue type in a 2xx/422 answer
    attackers: tuple[tuple[str, str | None], ...] | None = None
    own: str | None = None  # for lists: the Env.ids key whose id must not be listed
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}{' ' + self.note if self.note else ''}"


def json_body(body: dict[str, Any]) -> Body:
    return lambda env: {"json": body}


def wav_upload(extra: dict[str, str] | None = None) -> Body:
    def build(env: Env) -> dict[str, Any]:
        upload = {"file": ("mallory.wav", wav_bytes(env.tmp, "mallory.wav"), "audio/wav")}
        return {"files": upload, "data": extra or {}}

    return build


def ref(make: Callable[[dict[str, Any]], dict[str, Any]]) -> Body:
    return lambda env: {"json": make(env.ids)}


def csv_upload(content: str) -> Body:
    """A multipart CSV aimed at A's campaign (lead and DNC imports)."""

    def build(env: Env) -> dict[str, Any]:
        upload = {"file": ("mallory.csv", content.encode(), "text/csv")}
        return {"files": upload, "data": {"campaign_id": str(env.ids["campaign_id"])}}

    return build


V = "/api/v1"

"""Shared set-up of the contact-center service tests: tenants A (FR) and B, extensions, a
number of A's, and helpers to run one service call in a transaction."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from openpyxl import Workbook

from centrex.clock import ManualClock
from centrex.contact_center import campaigns
from centrex.data.db import Database
from centrex.data.models import Campaign, Number, NumberState
from centrex.data.tenancy import TenantScope
from centrex.provisioning import extensions, tenants

A, B = "a.cc.test", "b.cc.test"
A_NUMBERS = ("+33142685300", "+33491000000")
R = TypeVar("R")


async def make_world(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as session:
        for domain, country in ((A, "FR"), (B, "CH")):
            await tenants.create_tenant(session, now=clock.utcnow(), name=domain, domain=domain,
                                        extension_digits=3, max_calls=5, country=country)  # fmt: skip
        scope = await tenants.scope_for(session, A)
        for number in ("101", "102"):
            await extensions.create_extension(scope, number=number, voicemail=False)
        for e164 in A_NUMBERS:
            scope.add(Number(e164=e164, state=NumberState.ASSIGNED))
        scope_b = await tenants.scope_for(session, B)
        await extensions.create_extension(scope_b, number="201", voicemail=False)


async def in_tenant(db: Database, domain: str, work: Callable[[TenantScope], Awaitable[R]]) -> R:
    async with db.transaction() as session:
        return await work(await tenants.scope_for(session, domain))


async def new_campaign(db: Database, name: str = "Spring", domain: str = A, **kw: Any) -> int:
    async def work(scope: TenantScope) -> int:
        kw.setdefault("agents", ["101"] if domain == A else ["201"])
        made = await campaigns.create_campaign(scope, name=name, method="predictive", **kw)
        return made.id

    return await in_tenant(db, domain, work)


async def campaign_of(scope: TenantScope, name: str = "Spring") -> Campaign:
    return await campaigns.get_campaign(scope, name)


def csv_bytes(lines: list[str], encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

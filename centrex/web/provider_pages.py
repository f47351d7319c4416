"""The provider's page family beyond the dashboard (`pages.py`): trunks and routes, number
ranges, partners and tenant detail, the live view across tenants, and SIP security. One module
per concern; this one only gathers their routers for `PAGE_MODULES`."""

from __future__ import annotations

from fastapi import APIRouter

from centrex.web import (
    provider_live_page,
    provider_numbers_page,
    provider_partners_page,
    provider_security_page,
    provider_trunks_page,
)

router = APIRouter(include_in_schema=False)
for module in (
    provider_trunks_page,
    provider_numbers_page,
    provider_partners_page,
    provider_live_page,
    provider_security_page,
):
    router.include_router(module.router)

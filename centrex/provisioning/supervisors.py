"""Supervisor settings (issue 13 item 6): which extensions may monitor the tenant's calls and
whether the monitored parties hear a beep. Read by `calls/features/monitor.py`; written from
`centrex extension update --supervisor/--no-supervisor`, `PATCH /api/v1/extensions/{id}`
(`supervisor`) and `centrex tenant set-monitor-beep`.
"""

from __future__ import annotations

import logging

from centrex.data.models import Extension, Tenant
from centrex.data.tenancy import TenantScope
from centrex.provisioning.extensions import get_extension

log = logging.getLogger(__name__)


async def set_supervisor(scope: TenantScope, number: str, supervisor: bool) -> Extension:
    """Flag (or unflag) extension `number` of the tenant as a supervisor's phone; another
    tenant's extension is `NotFound` like one that does not exist."""
    extension = await get_extension(scope, number)
    extension.supervisor = supervisor
    await scope.session.flush()
    log.info("extension %s of tenant %s: supervisor %s", number, scope.tenant_id,
             "on" if supervisor else "off")  # fmt: skip
    return extension


async def set_monitor_beep(tenant: Tenant, beep: bool) -> Tenant:
    """Whether the parties of a monitored call hear a short beep when a supervisor joins."""
    tenant.monitor_beep = beep
    return tenant

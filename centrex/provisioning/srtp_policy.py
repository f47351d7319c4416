"""An extension's SRTP policy (issue 14 item 3): optional, required or off.

Read by the call layer when it allocates a phone's media leg (`media/sdes.py` applies it to
every offer and answer); written from `centrex extension update --srtp MODE` and
`PATCH /api/v1/extensions/{id}` (`srtp`). The registrar's directory caches it with the
credentials, so a change reaches new calls within the directory's TTL.
"""

from __future__ import annotations

import logging

from centrex.data.models import Extension
from centrex.data.models.telephony import SrtpMode
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning.extensions import get_extension

__all__ = ["MODES", "parse_mode", "set_srtp"]

log = logging.getLogger(__name__)
MODES = tuple(m.value for m in SrtpMode)


def parse_mode(value: str) -> SrtpMode:
    """`value` as a mode; anything else is refused naming the valid ones."""
    try:
        return SrtpMode(value)
    except ValueError:
        raise ValidationFailed(
            f"srtp must be one of {', '.join(MODES)}, not {value!r}",
            error_id="bad-srtp-mode",
            field="srtp",
        ) from None


async def set_srtp(scope: TenantScope, number: str, mode: SrtpMode | str) -> Extension:
    """Set extension `number`'s SRTP policy; another tenant's extension is `NotFound`."""
    chosen = mode if isinstance(mode, SrtpMode) else parse_mode(mode)
    extension = await get_extension(scope, number)
    extension.srtp = chosen
    await scope.session.flush()
    log.info("extension %s of tenant %s: srtp %s", number, scope.tenant_id, chosen.value)
    return extension

"""Pickup groups of extensions (issue 12, item 4), for the CLI and the API.

An extension's pickup group is a label of its tenant (`sales`, `reception-2`): `*8` picks up
calls ringing the other extensions with the same label *in the same tenant*
(`calls/features/pickup.py`); the same label in another tenant is another group. The
extension is found in the caller's tenant only. A label is 1-40 letters, digits, `.`, `_` or
`-`, starting with a letter or digit; `''` or `none` clears it. Anything else is refused
(`ValidationFailed`, error_id `bad-pickup-group`) and nothing is written.
"""

from __future__ import annotations

import re

from centrex.data.models import Extension
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning.extensions import get_extension

__all__ = ["CLEAR", "parse_pickup_group", "set_pickup_group"]

CLEAR = frozenset({"", "none"})
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def parse_pickup_group(value: str | None) -> str | None:
    """The group label to store (None: in no group)."""
    if value is None or value.strip().lower() in CLEAR:
        return None
    label = value.strip()
    if not _LABEL.match(label):
        raise ValidationFailed(
            f"pickup group {value!r} is not a label of 1-40 letters, digits, '.', '_' or '-' "
            "('' or 'none' clears it)",
            error_id="bad-pickup-group",
            field="pickup_group",
        )
    return label


async def set_pickup_group(scope: TenantScope, number: str, group: str | None) -> Extension:
    """Put extension `number` of the scope's tenant in `group` (None, '' or 'none': none)."""
    label = parse_pickup_group(group)
    extension = await get_extension(scope, number)
    extension.pickup_group = label
    await scope.session.flush()
    return extension

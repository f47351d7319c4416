"""Plain, JSON-ready views of provisioned objects, shared by the CLI and the API.

Secrets never appear here: no HA1, no trunk password (only whether one is set).
"""

from __future__ import annotations

from typing import Any

from centrex.calls.features.forward_config import forwarding_view
from centrex.data.models import (
    Extension,
    Number,
    NumberRange,
    OutboundRoute,
    SipCredential,
    Trunk,
    User,
)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def extension_view(
    extension: Extension,
    credential: SipCredential | None = None,
    numbers: list[str] | None = None,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": extension.id,
        "number": extension.number,
        "name": extension.display_name,
        "email": extension.email,
        "user_id": extension.user_id,
        "outbound_caller_id": extension.outbound_caller_id,
        "record_calls": extension.record_calls.value if extension.record_calls else None,
        "record_layout": extension.record_layout.value if extension.record_layout else None,
        "digest_policy": extension.digest_policy.value if extension.digest_policy else None,
        # issue 12 item 2 (calls/features/forward_config.py)
        "forwarding": forwarding_view(extension),
        "dnd": bool(extension.dnd),
        "call_waiting": extension.call_waiting is not False,
        "pickup_group": extension.pickup_group,  # issue 12 item 4 (features/pickup.py)
        # issue 12 item 5 (calls/features/screening.py)
        "outbound_class": extension.outbound_class or "all",
        "premium": bool(extension.premium),
        "supervisor": bool(extension.supervisor),  # issue 13 item 6 (features/monitor.py)
        "srtp": extension.srtp.value if extension.srtp else "optional",  # issue 14 (sdes.py)
    }
    if credential is not None:
        view["sip_username"] = credential.username
        view["sip_realm"] = credential.realm
    if numbers is not None:
        view["numbers"] = numbers
    return view


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "mobile": user.mobile,
        "language": user.language.value,
        "role": user.role.value,
    }


def number_view(
    number: Number, extension_number: str | None = None, ring_group: str | None = None
) -> dict[str, Any]:
    return {
        "id": number.id,
        "e164": number.e164,
        "state": number.state.value,
        "tenant_id": number.tenant_id,
        "extension_id": number.extension_id,
        "extension": extension_number,
        "ring_group_id": number.ring_group_id,
        "ring_group": ring_group,
        "range_id": number.range_id,
    }


def range_view(number_range: NumberRange, size: int | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": number_range.id,
        "first": number_range.first,
        "last": number_range.last,
        "description": number_range.description,
    }
    if size is not None:
        view["size"] = size
    return view


def trunk_view(trunk: Trunk) -> dict[str, Any]:
    return {
        "id": trunk.id,
        "name": trunk.name,
        "host": trunk.host,
        "port": trunk.port,
        "transport": trunk.transport.value,
        "username": trunk.username,
        "has_password": trunk.password_encrypted is not None,
        "priority": trunk.priority,
        "enabled": trunk.enabled,
        "max_calls": trunk.max_calls,
        "register": trunk.register,
    }


def route_view(route: OutboundRoute, trunks: list[Trunk]) -> dict[str, Any]:
    return {
        "id": route.id,
        "name": route.name,
        "prefix": route.prefix,
        "trunks": [t.name for t in trunks],
    }

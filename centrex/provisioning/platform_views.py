"""Views of the platform's own rows (tenants, partners), importable without the ORM.

`centrex.provisioning.views` re-exports them for everyone else; they live apart so the CLI's
quick listings (`centrex.data.quick_read`) print the very same JSON as the API and the ORM path
without paying for SQLAlchemy. Each view reads attributes only, so it takes a mapped row or any
object with the same attributes; enum columns may be enum members or their
stored strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from centrex.calls.features.park_lot import DEFAULT_NUMBER, DEFAULT_SLOTS

__all__ = [
    "DEFAULT_PARK_TIMEOUT",
    "PARTNER_COLUMNS",
    "TENANT_COLUMNS",
    "TENANT_TIMESTAMPS",
    "park_view",
    "partner_view",
    "tenant_view",
]

DEFAULT_PARK_TIMEOUT = 60

# The columns each view reads (the quick listings select exactly these), and the timestamps.
PARTNER_COLUMNS = ("id", "name", "contact_name", "email", "phone")
TENANT_COLUMNS = (
    "id", "name", "domain", "customer_number", "partner_id", "language", "country",
    "extension_digits", "max_calls", "storage_quota_mb", "status", "status_changed_at",
    "trial_ends_at", "credit", "currency", "main_number", "record_calls", "record_layout",
    "record_announce", "digest_policy", "monitor_beep", "park_number", "park_slots",
    "park_timeout", "created_at",
)  # fmt: skip
TENANT_TIMESTAMPS = ("status_changed_at", "trial_ends_at", "created_at")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: Any) -> str:
    """An enum column's stored string, whether given the member or the string itself."""
    return str(getattr(value, "value", value))


def park_view(tenant: Any) -> dict[str, object]:
    """The call park settings in force (the defaults where the tenant set nothing)."""
    return {
        "park_number": tenant.park_number or DEFAULT_NUMBER,
        "park_slots": tenant.park_slots or DEFAULT_SLOTS,
        "park_timeout": tenant.park_timeout or DEFAULT_PARK_TIMEOUT,
    }


def partner_view(partner: Any) -> dict[str, Any]:
    return {
        "id": partner.id,
        "name": partner.name,
        "contact_name": partner.contact_name,
        "email": partner.email,
        "phone": partner.phone,
    }


def tenant_view(tenant: Any) -> dict[str, Any]:
    return {
        "id": tenant.id,
        "name": tenant.name,
        "domain": tenant.domain,
        "customer_number": tenant.customer_number,
        "partner_id": tenant.partner_id,
        "language": _text(tenant.language),
        "country": tenant.country,
        "extension_digits": tenant.extension_digits,
        "max_calls": tenant.max_calls,
        "storage_quota_mb": tenant.storage_quota_mb,
        "status": _text(tenant.status),
        "status_changed_at": _iso(tenant.status_changed_at),
        "trial_ends_at": _iso(tenant.trial_ends_at),
        "credit": str(Decimal(str(tenant.credit)).quantize(Decimal("0.0001"))),
        "currency": _text(tenant.currency),
        "main_number": tenant.main_number,
        "record_calls": _text(tenant.record_calls),
        "record_layout": _text(tenant.record_layout),
        "record_announce": bool(tenant.record_announce),
        "digest_policy": _text(tenant.digest_policy),
        "monitor_beep": bool(tenant.monitor_beep),
        **park_view(tenant),
        "created_at": _iso(tenant.created_at),
    }

"""Forwarding, do not disturb and call waiting of an extension (issue 12 item 2), for the CLI
and the API.

The rules live with the call layer that applies them (`calls/features/forward_config.py`:
the call layer changes the same settings when a phone dials `*72`/`*78`…, and may not import
provisioning); this module finds the extension in the caller's tenant and applies them. A
destination the router would refuse — an extension that does not exist *in this tenant*, an
undialable or emergency number, a flow that does not exist, voicemail without a mailbox, the
extension itself — is refused when set (`ValidationFailed`, stable `error_id`), and nothing is
written.
"""

from __future__ import annotations

from typing import Any

from centrex.calls.features import forward_config as rules
from centrex.calls.features.forward_config import ForwardKind
from centrex.data.models import Extension
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed
from centrex.provisioning.extensions import get_extension

__all__ = [
    "ForwardKind",
    "check_seconds",
    "clear_forward",
    "forward_kind",
    "forwarding_view",
    "set_call_waiting",
    "set_dnd",
    "set_forward",
]

ALL = "all"


def forward_kind(value: str) -> ForwardKind | None:
    """`always`, `busy`, `no-answer` (or `no_answer`), `unregistered`; `all` is None."""
    text = value.strip().lower().replace("_", "-")
    if text == ALL:
        return None
    try:
        return ForwardKind(text)
    except ValueError:
        raise ValidationFailed(
            f"unknown forward kind {value!r} (always, busy, no-answer, unregistered or all)",
            error_id="forward-kind-unknown",
            field="kind",
        ) from None


async def set_forward(
    scope: TenantScope,
    number: str,
    kind: ForwardKind,
    destination: str,
    *,
    seconds: int | None = None,
) -> Extension:
    """Forward extension `number` on `kind` to `destination` (no-answer after `seconds`)."""
    extension = await get_extension(scope, number)
    return await rules.set_forward(scope, extension, kind, destination, seconds=seconds)


async def clear_forward(scope: TenantScope, number: str, kind: ForwardKind | None) -> Extension:
    """Remove one kind of forward, or every one (`kind` None)."""
    return await rules.clear_forward(scope, await get_extension(scope, number), kind)


async def set_dnd(scope: TenantScope, number: str, on: bool) -> Extension:
    return await rules.set_dnd(scope, await get_extension(scope, number), on)


async def set_call_waiting(scope: TenantScope, number: str, on: bool) -> Extension:
    return await rules.set_call_waiting(scope, await get_extension(scope, number), on)


async def check_destination(scope: TenantScope, extension: Extension, destination: str) -> str:
    return await rules.check_destination(scope, extension, destination)


def check_seconds(seconds: int) -> int:
    return rules.check_seconds(seconds)


def forwarding_view(extension: Extension) -> dict[str, Any]:
    """The extension's `forwarding`, `dnd` and `call_waiting` (CLI JSON, API fields)."""
    return {
        "number": extension.number,
        "forwarding": rules.forwarding_view(extension),
        "dnd": bool(extension.dnd),
        "call_waiting": extension.call_waiting is not False,
    }

"""A tenant's agent pause reasons, as its administrator manages them (issue 21): list, add,
rename, delete. Agents pause with `*52<code>` or the API, naming the reason by code or label
(`calls/features/agent_state.py`, which also writes the three defaults on first use).

Rules (each with a stable error id):

* code: a whole number 1-9, one digit after `*52` — `pause-reason-bad-code`; unique per tenant
  — `pause-reason-code-taken` (409);
* label: 1-64 characters once trimmed (the width of the stored column and of an agent state's
  reason), no control characters, not only digits (a reason given as "2" means code 2) —
  `pause-reason-bad-label`; unique per tenant ignoring case (a reason may be named by its
  label) — `pause-reason-label-taken` (409);
* renaming also renames the reason of the agents paused with it now, so their state still
  names a reason of the list;
* a reason an agent is paused with now cannot be deleted — `pause-reason-in-use` (409), nor
  the last one (an empty list would bring the defaults back) — `pause-reason-last` (409).

Every query goes through `TenantScope`: another tenant's reason is "not found" (404).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func

from centrex.calls.features import agent_state as agents
from centrex.data.models import AgentMode, AgentStateRecord, PauseReason
from centrex.data.tenancy import TenantScope
from centrex.errors import Conflict, NotFound, ValidationFailed

MIN_CODE, MAX_CODE = 1, 9
MAX_LABEL = 64  # pause_reasons.label and agent_states.reason are String(64)


def reason_view(reason: PauseReason) -> dict[str, Any]:
    return {"id": reason.id, "code": reason.code, "label": reason.label}


def _code(value: int | str) -> int:
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,3}", text) or not MIN_CODE <= int(text) <= MAX_CODE:
        raise ValidationFailed(f"a pause reason's code is a number {MIN_CODE}-{MAX_CODE}, "
                               f"not {text[:10]!r}", error_id="pause-reason-bad-code",
                               field="code")  # fmt: skip
    return int(text)


def _label(value: str) -> str:
    text = value.strip()
    if not 1 <= len(text) <= MAX_LABEL:
        raise ValidationFailed(f"a pause reason's label has 1 to {MAX_LABEL} characters, "
                               f"not {len(text)}", error_id="pause-reason-bad-label",
                               field="label")  # fmt: skip
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValidationFailed("a pause reason's label has no control characters",
                               error_id="pause-reason-bad-label", field="label")  # fmt: skip
    if text.isdigit():
        raise ValidationFailed(f"{text!r}: a label of digits only would read as a code",
                               error_id="pause-reason-bad-label", field="label")  # fmt: skip
    return text


async def _label_free(scope: TenantScope, label: str, except_id: int | None = None) -> None:
    same = await scope.first(PauseReason, func.lower(PauseReason.label) == label.lower())
    if same is not None and same.id != except_id:
        raise Conflict(f"the pause reason {same.code} is called {same.label!r} already",
                       error_id="pause-reason-label-taken", field="label")  # fmt: skip


async def list_reasons(scope: TenantScope) -> list[dict[str, Any]]:
    """The tenant's reasons by code (the defaults written on first use, as agents see them)."""
    await agents.pause_reasons(scope)
    rows = await scope.list(PauseReason, order_by=PauseReason.code)
    return [reason_view(r) for r in rows]


async def get_reason(scope: TenantScope, reason_id: int) -> PauseReason:
    reason = await scope.first(PauseReason, PauseReason.id == reason_id)
    if reason is None:
        raise NotFound(f"pause reason {reason_id} not found", error_id="pause-reason-not-found")
    return reason


async def add_reason(scope: TenantScope, *, code: int | str, label: str) -> dict[str, Any]:
    """A new reason; everything is checked before writing."""
    await agents.pause_reasons(scope)  # the defaults first, so they do not appear later
    number, text = _code(code), _label(label)
    taken = await scope.first(PauseReason, PauseReason.code == number)
    if taken is not None:
        raise Conflict(f"code {number} is the pause reason {taken.label!r} already",
                       error_id="pause-reason-code-taken", field="code")  # fmt: skip
    await _label_free(scope, text)
    reason = scope.add(PauseReason(code=number, label=text))
    await scope.session.flush()
    return reason_view(reason)


async def _paused_with(scope: TenantScope, label: str) -> list[AgentStateRecord]:
    return list(
        await scope.list(
            AgentStateRecord,
            AgentStateRecord.mode == AgentMode.PAUSED,
            AgentStateRecord.reason == label,
        )
    )


async def rename_reason(scope: TenantScope, reason_id: int, *, label: str) -> dict[str, Any]:
    """A new label; the agents paused with the reason now keep it under its new name."""
    reason = await get_reason(scope, reason_id)
    text = _label(label)
    await _label_free(scope, text, reason.id)
    for state in await _paused_with(scope, reason.label):
        state.reason = text
    reason.label = text
    await scope.session.flush()
    return reason_view(reason)


async def delete_reason(scope: TenantScope, reason_id: int) -> dict[str, Any]:
    """Remove a reason no agent is paused with now (and not the tenant's last one)."""
    reason = await get_reason(scope, reason_id)
    paused = await _paused_with(scope, reason.label)
    if paused:
        who = ", ".join(sorted(s.extension for s in paused))
        raise Conflict(f"{reason.label!r} is the pause reason of {who} now",
                       error_id="pause-reason-in-use")  # fmt: skip
    if await scope.count(PauseReason) <= 1:
        raise Conflict("a tenant keeps at least one pause reason", error_id="pause-reason-last")
    view = reason_view(reason)
    await scope.remove(reason)
    await scope.session.flush()
    return view

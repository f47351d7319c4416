"""Licence and trunk limits: how many calls a tenant and a trunk may have at once.

The counter lives in memory behind this small interface; a multi-node deployment replaces it with
a Redis-backed implementation of the same methods (DESIGN.md §7).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LimitRefusal:
    """Why a call was refused; becomes a 503 with a Warning header."""

    scope: str  # "tenant" or "trunk"
    limit: int
    reason: str


class CallLimits:
    """Counts live calls per tenant and per trunk, and refusals for reporting."""

    def __init__(self) -> None:
        self._tenant_calls: Counter[int] = Counter()
        self._trunk_calls: Counter[int] = Counter()
        self.refused: Counter[int] = Counter()

    def tenant_calls(self, tenant_id: int) -> int:
        return self._tenant_calls[tenant_id]

    def trunk_calls(self, trunk_id: int) -> int:
        return self._trunk_calls[trunk_id]

    def acquire_tenant(self, tenant_id: int, max_calls: int) -> LimitRefusal | None:
        """Take one licence slot, or say why not (and count the refusal)."""
        if self._tenant_calls[tenant_id] >= max_calls:
            self.refused[tenant_id] += 1
            return LimitRefusal(
                "tenant", max_calls, f"licence limit of {max_calls} simultaneous calls reached"
            )
        self._tenant_calls[tenant_id] += 1
        return None

    def release_tenant(self, tenant_id: int) -> None:
        if self._tenant_calls[tenant_id] > 0:
            self._tenant_calls[tenant_id] -= 1

    def acquire_trunk(self, trunk_id: int, max_calls: int | None) -> LimitRefusal | None:
        if max_calls is not None and self._trunk_calls[trunk_id] >= max_calls:
            return LimitRefusal("trunk", max_calls, f"trunk limit of {max_calls} calls reached")
        self._trunk_calls[trunk_id] += 1
        return None

    def release_trunk(self, trunk_id: int) -> None:
        if self._trunk_calls[trunk_id] > 0:
            self._trunk_calls[trunk_id] -= 1

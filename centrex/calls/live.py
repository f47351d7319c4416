"""The API's view of live calls (the `LiveCalls` protocol of `centrex.api.sources`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from centrex.calls.b2bua import B2BUA


class LiveCallView:
    """Reads calls in progress from the B2BUA and hangs one up on request."""

    def __init__(self, b2bua: B2BUA) -> None:
        self._b2bua = b2bua

    def _media(self, call_id: str) -> list[dict[str, Any]]:
        call = self._b2bua.calls.get(call_id)
        if call is None:
            return []
        legs = []
        for side in (call.a, call.b):
            if side is not None and side.media is not None:
                snap = self._b2bua.engine.snapshot(side.media)
                legs.append({"side": "a" if side is call.a else "b", **_plain(snap)})
        return legs

    async def list(self, tenant_id: int) -> list[dict[str, Any]]:
        items = self._b2bua.live_calls(tenant_id)
        for item in items:
            media = item.get("media")
            if media is None:
                item["media"] = self._media(str(item["call_id"]))
        return items

    async def hangup(self, tenant_id: int, call_id: str) -> bool:
        return await self._b2bua.hangup(call_id, tenant_id)


def _plain(snapshot: object) -> dict[str, Any]:
    import dataclasses

    if dataclasses.is_dataclass(snapshot) and not isinstance(snapshot, type):
        return {
            k: v
            for k, v in dataclasses.asdict(snapshot).items()
            if isinstance(v, int | float | str | bool) or v is None
        }
    return {}

"""The API's view of live calls and its hands on them (the `LiveCalls` and `CallControlSource`
protocols of `centrex.api.sources`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from centrex.calls.leg import CallState
from centrex.errors import Conflict
from centrex.media.webrtc.counters import WebRtcCounters
from centrex.media.webrtc.doctor import diagnose

if TYPE_CHECKING:
    from centrex.calls.b2bua import B2BUA
    from centrex.calls.features.call_control import CallControl


class LiveCallView:
    """Reads calls in progress from the B2BUA and hangs one up on request."""

    def __init__(self, b2bua: B2BUA) -> None:
        self._b2bua = b2bua

    def _media(self, call_id: str) -> list[dict[str, Any]]:
        call = self._b2bua.calls.get(call_id)
        if call is None:
            return []
        engine = self._b2bua.engine
        # The doctor's clock starts at the answer: a ringing browser callee has no ICE yet.
        answered = call.answered_at
        age = (engine.clock.utcnow() - answered).total_seconds() if answered else 0.0
        legs = []
        for side in (call.a, call.b):
            if side is not None and side.media is not None:
                snap = engine.snapshot(side.media)
                legs.append(
                    {
                        "side": "a" if side is call.a else "b",
                        **_plain(snap),
                        **webrtc_view(snap.webrtc, age),
                    }
                )
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

    # ---- call control (`CallControlSource`): the B2BUA's `CallControl` feature ---------------
    def _control(self) -> CallControl:
        control = self._b2bua.control
        if control is None:
            raise Conflict("call control is not available here", error_id="no-call-control")
        return control

    async def originate(self, tenant_id: int, from_extension: str, to: str) -> dict[str, Any]:
        call = await self._control().originate(tenant_id, from_extension, to)
        state = "ringing" if call.state is CallState.RINGING else call.state.value
        return {"call_id": call.call_id, "state": state}

    async def transfer(
        self, tenant_id: int, call_id: str, to: str, mode: str, party: str | None
    ) -> dict[str, Any]:
        return await self._control().transfer(tenant_id, call_id, to, mode=mode, party=party)

    async def park(self, tenant_id: int, call_id: str, party: str | None) -> str:
        return await self._control().park(tenant_id, call_id, party=party)

    async def hold(self, tenant_id: int, call_id: str, party: str | None) -> None:
        await self._control().hold(tenant_id, call_id, party=party)

    async def resume(self, tenant_id: int, call_id: str) -> None:
        await self._control().resume(tenant_id, call_id)

    async def pickup(self, tenant_id: int, call_id: str, extension: str) -> None:
        await self._control().pickup(tenant_id, call_id, extension)

    async def complete_transfer(self, tenant_id: int, call_id: str) -> None:
        await self._control().complete_transfer(tenant_id, call_id)

    async def cancel_transfer(self, tenant_id: int, call_id: str) -> None:
        await self._control().cancel_transfer(tenant_id, call_id)

    # ---- supervisor monitoring (`CallMonitorSource`): the B2BUA's `Monitoring` feature ------
    async def monitor(
        self, tenant_id: int, call_id: str, extension: str, mode: str
    ) -> dict[str, Any]:
        monitoring = self._b2bua.monitor
        if monitoring is None:
            raise Conflict("monitoring is not available here", error_id="no-call-control")
        return await monitoring.monitor(tenant_id, call_id, extension, mode)


def webrtc_view(counters: WebRtcCounters | None, age: float) -> dict[str, Any]:
    """A browser leg's ICE/DTLS/SRTP counters and the doctor's findings; nothing for a
    plain-RTP leg (its view stays plain values; the API fills `webrtc: null, diagnosis: []`).
    `age`: seconds since the call was answered."""
    if counters is None:
        return {}
    plain = {k: v for k, v in _plain(counters).items() if k != "ice_selected"}
    selected = counters.ice_selected
    plain["ice_selected"] = f"{selected[0]}:{selected[1]}" if selected else None
    return {"webrtc": plain, "diagnosis": [f.as_dict() for f in diagnose(counters, age)]}


def _plain(snapshot: object) -> dict[str, Any]:
    import dataclasses

    if dataclasses.is_dataclass(snapshot) and not isinstance(snapshot, type):
        return {
            k: v
            for k, v in dataclasses.asdict(snapshot).items()
            if isinstance(v, int | float | str | bool) or v is None
        }
    return {}

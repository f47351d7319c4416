"""Where an app's transfer goes (pure), what an unanswered one tells the app, and the per-call
transfer state the B2BUA keeps (calls/transfer.py)."""

from __future__ import annotations

import numpy as np

from centrex.calls.app_host import TransferKind, TransferOutcome
from centrex.calls.router import OutboundRoutePlan, Reject, ToExtension, ToTrunks
from centrex.calls.transfer import (
    AppTransfer,
    TransferControl,
    failure_outcome,
    play_ringback,
    resolve_target,
)
from centrex.media.codecs import ALAW_TO_ULAW, ulaw_decode
from tests.calls.test_router import BACKUP, NOW, PRIMARY, plan
from tests.media.phones import LOOPBACK, Phone, make_engine, manual_ticks, rtp, sdp

ROUTES = (OutboundRoutePlan(prefix="", trunks=(PRIMARY, BACKUP)),)


def test_extension_targets_stay_in_the_tenant_and_out_of_flows() -> None:
    flows = plan(flow_extensions=frozenset({"100"}), extensions=frozenset({"100", "101", "102"}))
    assert resolve_target(flows, TransferKind.EXTENSION, "102", "101", NOW) == ToExtension("102")
    assert resolve_target(flows, TransferKind.EXTENSION, "109", "101", NOW) == Reject(
        404, "extension 109 does not exist"
    )
    refused = resolve_target(flows, TransferKind.EXTENSION, "100", "101", NOW)
    assert isinstance(refused, Reject)
    assert refused.status == 482


def test_external_targets_take_the_outbound_routing() -> None:
    out = resolve_target(
        plan(), TransferKind.EXTERNAL, "0446681800", "102", NOW, ROUTES, (PRIMARY, BACKUP)
    )
    assert isinstance(out, ToTrunks)
    assert out.number == "+41446681800"
    assert out.trunks == (PRIMARY, BACKUP)
    assert out.caller_id == "+41215550101"  # 102's caller ID, as when 102 dials out itself
    # an "external" number that is one of the tenant's DIDs rings the extension behind it
    own = resolve_target(plan(), TransferKind.EXTERNAL, "0215550100", "102", NOW, ROUTES)
    assert own == ToExtension("101")
    # a feature code is an app, not a party
    app = resolve_target(plan(), TransferKind.EXTERNAL, "*43", "102", NOW, ROUTES)
    assert isinstance(app, Reject)
    assert resolve_target(plan(), TransferKind.EXTERNAL, "0446681800", "102", NOW) == Reject(
        503, "no trunk available for this destination"
    )


def test_failure_outcome() -> None:
    assert failure_outcome([486, 480]) is TransferOutcome.BUSY
    assert failure_outcome([603]) is TransferOutcome.NO_ANSWER
    assert failure_outcome([]) is TransferOutcome.NO_ANSWER


async def test_transfer_state_and_control() -> None:
    transfer = AppTransfer(TransferKind.EXTENSION, "102")
    assert transfer.ringing
    assert not transfer.connected
    transfer.finish(TransferOutcome.CONNECTED)
    transfer.finish(TransferOutcome.CALLER_GONE)  # the first outcome wins
    assert not transfer.ringing
    assert transfer.connected
    assert await transfer.done is TransferOutcome.CONNECTED

    asked: list[tuple[TransferKind, str]] = []

    async def ring(kind: TransferKind, value: str) -> TransferOutcome:
        asked.append((kind, value))
        return TransferOutcome.NO_ANSWER

    control = TransferControl(ring)
    assert await control.transfer(TransferKind.EXTERNAL, "0446681800") is (
        TransferOutcome.NO_ANSWER
    )
    assert asked == [(TransferKind.EXTERNAL, "0446681800")]


async def test_ringback_then_a_bridge_across_g711_laws() -> None:
    """The media steps of a transfer: A answered by the app (µ-law), ringback into A, the
    target answers A-law, bridge: the target's audio reaches A transcoded, the tone is gone."""
    engine, clock = make_engine()
    phone_a, phone_b = await Phone.open(), await Phone.open()
    try:
        a = await engine.allocate("a")
        offer = sdp(phone_a.port, (0, 8))
        engine.set_remote(a, offer, signalling_host=LOOPBACK)
        engine.answer_for(a, offer)  # the IVR's answer: the registry's first codec, PCMU
        transfer = AppTransfer(TransferKind.EXTENSION, "102")
        transfer.ringback = play_ringback(engine, a, "CH")
        manual_ticks(engine, clock, 40)  # 0.8 s of the 1 s 425 Hz burst
        tone = await phone_a.wait_for(40)
        pcm = b"".join(ulaw_decode(p.payload) for p in tone)
        samples = np.frombuffer(pcm, dtype="<i2").astype(float)
        peak = np.fft.rfftfreq(len(samples), 1 / 8000)[int(np.argmax(np.abs(np.fft.rfft(samples))))]
        assert abs(peak - 425) < 5
        b = await engine.allocate("b")
        engine.offer_for(b, offer)  # what the INVITE to the target carries
        engine.set_remote(b, sdp(phone_b.port, (8,)), signalling_host=LOOPBACK)
        engine.bridge(a, b)
        transfer.finish(TransferOutcome.CONNECTED)
        assert transfer.ringback is None
        assert a.source is None  # the relay owns A's stream again
        heard = len(phone_a.received)
        sent = [bytes(range(i, i + 160)) for i in range(10)]
        for i, data in enumerate(sent):
            phone_b.send(rtp(8, i, 160 * i, 9, data), (LOOPBACK, b.rtp_port))
        got = (await phone_a.wait_for(heard + 10))[heard:]
        assert [p.payload for p in got] == [d.translate(ALAW_TO_ULAW) for d in sent]
        assert {p.payload_type for p in got} == {0}
    finally:
        phone_a.close()
        phone_b.close()
        await engine.close()

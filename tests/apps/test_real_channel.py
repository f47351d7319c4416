"""The voicemail app on the real media channel (`centrex.media.channel.Channel`): RTP in and out
over loopback, driven by the manual media ticker — proof that the apps' channel protocol and the
media layer's channel fit together."""

from __future__ import annotations

import asyncio
import wave

import numpy as np
import pytest

from centrex.apps.voicemail import VoicemailApp, VoicemailServices
from centrex.data.db import Database
from centrex.media.codecs import ulaw_encode
from centrex.media.tones import ToneGenerator, beep
from centrex.provisioning import voicemail as vm
from tests.apps.conftest import Scopes, dominant_frequency
from tests.media.phones import LOOPBACK, manual_ticks, rtp, wait_until
from tests.media.test_channel_media import open_channel


def _samples(path: object) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels()) == (8000, 1)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


async def test_voicemail_over_rtp(
    db: Database, scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices
) -> None:
    async with scopes("a.example.com") as scope:
        await vm.create_mailbox(scope, extension="101", pin="1234", max_message_seconds=10)
    engine, clock, phone, channel = await open_channel()
    try:
        leg = channel.leg
        task = asyncio.create_task(
            VoicemailApp(services).leave_message(
                channel,
                tenant_id=two_tenants["a.example.com"],
                extension="101",
                caller="+41790000001",
            )
        )
        caller_voice = ToneGenerator(beep(1000.0, 120_000))
        for sent in range(4000):  # at most 80 s of media time; the caller talks all along
            if task.done():
                break
            payload = ulaw_encode(caller_voice.next_frame())
            phone.send(rtp(0, sent, 160 * sent, 0x51, payload), (LOOPBACK, leg.rtp_port))
            await wait_until(lambda count=sent + 1: leg.packets_in >= count)
            manual_ticks(engine, clock, 1)
            await asyncio.sleep(0)
        result = await asyncio.wait_for(task, 30)
    finally:
        phone.close()
        await engine.close()
    assert result.outcome == "stored"
    assert channel.events == ["answer", "hangup"]  # type: ignore[attr-defined]
    # the caller heard the prompts: greeting, instructions, beep, goodbye (> 5 s of audio)
    assert len(phone.received) > 250
    async with scopes("a.example.com") as scope:
        message = await vm.get_message(scope, result.message_id or 0)
        path = services.store.resolve(message.path)
    assert message.duration_ms == pytest.approx(10_000, abs=40)  # stopped at max_message_seconds
    samples = _samples(path)
    assert dominant_frequency(samples[:8000]) == pytest.approx(1000.0, abs=5)

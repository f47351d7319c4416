"""Confirmation tone after a feature code (`*78` DND on, `*72<DEST>` forward always…).

Why a tone and not a prompt or a SIP status: a phone user who dialled a code expects to hear
at once that it worked and then silence, as on every PBX (Asterisk's "beep", 3CX's
confirmation); a SIP final status shows up as a cryptic error on most phones and a prompt needs
recordings in four languages. Activation plays two rising beeps, deactivation two falling
ones, so the user hears which way it went; then the app hangs up.
"""

from __future__ import annotations

import contextlib

from centrex.apps.channel import AppChannel, ChannelClosed
from centrex.media.tones import beep

LOW_HZ, HIGH_HZ = 660.0, 1320.0
BEEP_MS = 180


def confirmation_tones(what: str) -> tuple[float, float]:
    """The two beeps for `what` ("dnd-on", "forward-off"…): rising for on, falling for off."""
    return (HIGH_HZ, LOW_HZ) if what.endswith("-off") else (LOW_HZ, HIGH_HZ)


async def play_confirmation(channel: AppChannel, what: str) -> None:
    """Answer, play the two beeps, hang up (a caller who left already is fine)."""
    with contextlib.suppress(ChannelClosed):
        await channel.answer()
        for frequency in confirmation_tones(what):
            await channel.play(beep(frequency, BEEP_MS))
    with contextlib.suppress(ChannelClosed):
        await channel.hangup()

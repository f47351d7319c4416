"""How the call layer hands a call to a media application without knowing the apps.

Apps sit above calls (DESIGN.md §3 dependency direction), so the B2BUA sees only this protocol:
the wiring (`server.py`) passes an implementation (`centrex.apps.launcher.AppLauncher`) that maps
an app name to the app. The B2BUA owns signalling: it gives the app a `Channel` whose answer and
hang-up callbacks send the 200 and the BYE, and a `CallControl` through which an app that has
answered hands its caller on (an IVR flow ending in "transfer to 102"): the B2BUA rings the
target while the caller hears ringback and, on answer, bridges the caller's media leg with the
target's. The app only learns how it went (`TransferOutcome`) and decides what comes next
(voicemail, goodbye); it never sees a SIP message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from centrex.media.channel import Channel


@dataclass(frozen=True, slots=True)
class AppContext:
    """Who called whom, for the app: tenant, caller, the extension concerned and why."""

    tenant_id: int
    caller: str
    caller_name: str
    extension: str | None
    language: str
    timezone: str
    reason: str = ""  # voicemail: "busy", "no-answer", "unavailable"
    call_id: str = ""  # the call the app runs on (a conference links its recording)
    cdr_id: int | None = None  # that call's CDR row


class TransferKind(Enum):
    """What an app can hand its caller to."""

    EXTENSION = "extension"  # every registered phone of an extension of the caller's tenant
    EXTERNAL = "external"  # a number dialled through the tenant's outbound routing (trunks)
    RING_GROUP = "ring-group"  # a ring group of the caller's tenant, by number or name
    # an ACD queue's offer: "15;102,103" — these agents' phones ring together for 15 s,
    # the caller keeps hearing what the app plays (music on hold, no ringback), and the
    # agents' own treatment (forwards, voicemail) does not apply (apps/queue)
    QUEUE_AGENTS = "queue-agents"


class TransferOutcome(Enum):
    """How a transfer ended, from the app's point of view."""

    CONNECTED = "connected"  # bridged to the target: the call is no longer the app's
    BUSY = "busy"  # every phone answered busy (486/600)
    NO_ANSWER = "no-answer"  # rang until the ring timeout, or every phone declined
    UNAVAILABLE = "unavailable"  # no phone of the extension is registered
    FAILED = "failed"  # not routable, no trunk took it, carrier refused, no common codec
    CALLER_GONE = "caller-gone"  # the caller hung up while the target rang


class CallControl(Protocol):
    """Signalling an app may ask of the call layer for the call it runs on."""

    async def transfer(self, kind: TransferKind, value: str) -> TransferOutcome:
        """Ring `value` (the app's channel must be answered; the caller hears ringback).

        Returns once connected (the app should then return: the call is a bridged call and
        the channel's hang-up no longer ends it) or once the target could not be reached (the
        channel is still the app's, e.g. to take a voicemail message).
        """
        ...


class AppHost(Protocol):
    """Runs a named app on a channel until it finishes."""

    def has(self, app: str) -> bool: ...

    async def run(
        self,
        app: str,
        channel: Channel,
        context: AppContext,
        control: CallControl | None = None,
    ) -> None: ...

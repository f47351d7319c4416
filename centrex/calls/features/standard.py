"""The call features a Centrex server runs, in the order their hooks apply.

`server.py` passes `standard_features(...)` to the B2BUA. Order matters for the extension-ring
hooks (a DND check runs before a forward-always check, which runs before call waiting); each
feature module documents where it belongs. Adding a feature is one line here.
"""

from __future__ import annotations

from centrex.calls.features import CallFeature
from centrex.calls.features.blf import BusyLamps, MailboxSummaries
from centrex.calls.features.call_control import CallControl
from centrex.calls.features.call_waiting import CallWaiting
from centrex.calls.features.caller_id import CallerIdentity
from centrex.calls.features.conference import ConferenceRooms
from centrex.calls.features.dnd import DoNotDisturb
from centrex.calls.features.forward import Forwarder, ForwardingFeature
from centrex.calls.features.intercom import Intercom
from centrex.calls.features.monitor import Monitoring
from centrex.calls.features.park import CallPark
from centrex.calls.features.pickup import CallPickup
from centrex.calls.features.ring_group import RingGroups
from centrex.calls.features.screening import CallScreening
from centrex.calls.features.short_numbers import ShortNumbers
from centrex.calls.features.three_way import ThreeWay
from centrex.calls.features.transfer_refer import ReferTransfer
from centrex.clock import Clock
from centrex.data.db import Database


def standard_features(
    database: Database,
    clock: Clock,
    mailboxes: MailboxSummaries | None = None,
    cache_seconds: float = 0.0,
) -> tuple[CallFeature, ...]:
    """Every call feature of the platform, built on the given database and clock;
    `mailboxes` answers message-summary subscriptions (the voicemail); `cache_seconds` is how
    long features reuse a tenant's settings (the route cache setting, `calls/ttl_cache.py`)."""
    features: list[CallFeature] = [BusyLamps(mailboxes)]
    # admission hooks: screening first (a refused call needs no name), then the caller's name
    screening = CallScreening(database, clock.monotonic, cache_seconds)
    features += [screening, CallerIdentity(database)]  # and *31 (CLIR)
    _ = (database, clock)  # the features below read their configuration through these
    # DND, forward always, call waiting: in this order
    forwarder = Forwarder(database, cache_seconds)
    features += [DoNotDisturb(forwarder, database), ForwardingFeature(forwarder, database),
                 CallWaiting(forwarder)]  # fmt: skip
    transfers = ReferTransfer()
    features.append(transfers)  # REFER, INVITE with Replaces: no ring hooks
    features.append(RingGroups(database, clock.monotonic))  # 600: asks members' ring hooks
    park = CallPark()
    features += [CallPickup(database), park]  # *8, **N; 700 (by transfer), 701-709
    features.append(CallControl(transfers, park))  # the API's transfer, park, hold, pickup
    features.append(Intercom())  # *80N: auto-answer, asks N's ring hooks like a group
    features.append(ShortNumbers())  # tenant-wide speed dials, routed as their target
    features.append(ConferenceRooms())  # 800: the conference app (apps/conference)
    features.append(ThreeWay())  # *3 + number + # in a call: the number joins (a room of 3)
    features.append(Monitoring())  # *90N/*91N/*92N, POST /calls/{id}/monitor: supervisors
    return tuple(features)

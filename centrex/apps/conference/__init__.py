"""Conference rooms (issue 13, item 2): the `conference` app, its admission rules and the live
rooms the API reads.

`server.py` builds one `LiveConferences` per process (`live_conferences`) and registers the app
with the launcher under the name the call layer uses (`conference_apps`); the API gets the same
object as its `ConferenceSource`.
"""

from __future__ import annotations

from collections.abc import Callable

from centrex.apps.conference.app import ConferenceApp, keep_recording, recording_file
from centrex.apps.conference.live import LiveConferences
from centrex.apps.launcher import AppFactory
from centrex.apps.voicemail import VoicemailServices
from centrex.events import Event
from centrex.media.room import MixingRoom

__all__ = ["ConferenceApp", "LiveConferences", "conference_apps", "live_conferences"]


def live_conferences(
    services: VoicemailServices,
    *,
    mixing_room: Callable[[str], MixingRoom],
    publish: Callable[[Event], None],
) -> LiveConferences:
    """The process's live rooms: mixers from the media engine, events on the bus, recordings
    in the tenant's store linked to the opener's CDR."""
    return LiveConferences(
        mixing_room=mixing_room,
        publish=publish,
        clock=services.clock,
        recording_file=recording_file(services),
        on_recording=keep_recording(services),
    )


def conference_apps(live: LiveConferences) -> dict[str, AppFactory]:
    """The launcher entry: "conference" (`calls/features/conference.py` routes to it)."""

    def make(services: VoicemailServices) -> ConferenceApp:
        return ConferenceApp(services, live)

    return {"conference": make}

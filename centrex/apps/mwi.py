"""Message waiting indication: the hook through which the voicemail tells the call layer that a
mailbox changed. The body itself (RFC 3842) is `centrex.sip.message_summary`.

Why a hook: sending NOTIFY to the owner's phones is SIP work (subscriptions, dialogs, the
registrar's bindings) that belongs to the call layer; apps never see SIP (DESIGN.md §4.6). The
voicemail calls `MwiHook.mailbox_changed(...)` with a ready body after every deposit, listen,
save or delete; the call layer's implementation sends it in a NOTIFY (Event: message-summary) to
every subscribed or registered device of the extension. When a phone SUBSCRIBEs, the call layer
asks `centrex.provisioning.voicemail.mwi_body` for the current body.
"""

from __future__ import annotations

from typing import Protocol


class MwiHook(Protocol):
    """Implemented by the call layer: NOTIFY the phones of `extension` with `body`."""

    async def mailbox_changed(self, tenant_id: int, extension: str, body: str) -> None: ...


class NoMwi:
    """A hook that does nothing (tests, or a server without SIP)."""

    async def mailbox_changed(self, tenant_id: int, extension: str, body: str) -> None:
        return None

"""Message-waiting indication: unsolicited NOTIFY of the message summary (RFC 3842 §3.2)
to every registered contact of an extension, so phones light their voicemail lamp."""

from __future__ import annotations

import logging

from centrex.calls.signalling import LocalAddress
from centrex.registrar import Registrar
from centrex.sip.builders import build_notify, generate_call_id, generate_tag
from centrex.sip.headers import NameAddr
from centrex.sip.uri import parse_uri

log = logging.getLogger(__name__)


class MwiNotifier:
    """Implements `centrex.apps.mwi.MwiHook` on top of the registrar and the SIP driver."""

    def __init__(self, registrar: Registrar, sender: object, local: LocalAddress) -> None:
        self._registrar = registrar
        self._sender = sender
        self.local = local
        self.sent = 0

    async def mailbox_changed(self, tenant_id: int, extension: str, body: str) -> None:
        for binding in self._registrar.lookup(tenant_id, extension):
            try:
                aor = parse_uri(binding.aor)
                notify = build_notify(
                    parse_uri(binding.contact),
                    from_=NameAddr(aor, params=(("tag", generate_tag()),)),
                    to=NameAddr(aor),
                    call_id=generate_call_id(self.local.host),
                    cseq=1,
                    via=self.local.via(binding.transport),
                    event="message-summary",
                    subscription_state="active",
                    body=body.encode(),
                    content_type="application/simple-message-summary",
                )
            except ValueError as exc:
                log.warning("MWI for %s not sent: %s", extension, exc)
                continue
            send = getattr(self._sender, "send_request")  # noqa: B009 - the driver protocol
            send(notify, binding.source, binding.transport)
            self.sent += 1

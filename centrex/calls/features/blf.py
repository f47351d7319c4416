"""Busy lamps and message-waiting subscriptions: SUBSCRIBE for `dialog` (RFC 4235) and
`message-summary` (RFC 3842) events, served as RFC 6665 subscriptions.

Theory of operation:

* A phone SUBSCRIBEs to `sip:102@tenant` with `Event: dialog` for a busy-lamp key. The
  subscriber authenticates like any device of its tenant (digest, 401: we are the notifier,
  a UAS). The watched extension is looked up in the SUBSCRIBER's tenant only; a Request-URI
  naming another tenant's domain is 403 and an unknown extension 404 — another tenant's
  extension never gets a NOTIFY. `message-summary` is only for the subscriber's own mailbox.
* 200 OK creates the subscription dialog (RFC 6665 §4.2.1.1) with the granted `Expires`
  (clamped to [MIN_EXPIRES, MAX_EXPIRES]; below the minimum: 423 with Min-Expires), and a NOTIFY
  with the full current state follows at once (§4.2.1.2), then one after every change of the
  watched extension's dialogs in the live state (`LiveState.watch`), each a full document with a
  version one higher (RFC 4235 §4.1.2). A refresh (in-dialog SUBSCRIBE) extends it and is
  answered with a NOTIFY; `Expires: 0` ends it with a final NOTIFY `terminated` (§4.2.1.4).
* Fan-out keeps at most one NOTIFY in flight per subscription: a change while one is
  unanswered only marks the subscription, and when the answer comes the next NOTIFY carries
  the state of that moment. Documents are full state, so a phone misses nothing but
  intermediate states it could not have shown in time; without it a burst (a switchboard
  watching 100 busy extensions) piled up thousands of NOTIFY transactions whose 200s waited
  behind the loop, timer E retransmitted them and the retransmissions ate the loop
  (docs/performance.md, "BLF fan-out"). The dialog-info document of one state of an
  extension is built once and shared by its watchers; only the version differs.
* A subscription whose time is up is dropped (checked whenever a NOTIFY would go out, and on
  every SUBSCRIBE); a NOTIFY answered 481 or never answered ends it too (§4.1.3).
* Unknown event packages get 489 Bad Event with Allow-Events (§7.2.2).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from typing import Protocol

from centrex.calls.actions import CallActions
from centrex.calls.features import FeatureHooks
from centrex.calls.live_state import ExtensionDialog, LiveChange
from centrex.sip import dialog_info
from centrex.sip.builders import generate_tag
from centrex.sip.dialog import Dialog
from centrex.sip.errors import SipError
from centrex.sip.events import RequestReceived
from centrex.sip.grammar import is_digits
from centrex.sip.message import Request
from centrex.sip.message_summary import CONTENT_TYPE as MWI_CONTENT_TYPE
from centrex.sip.message_summary import EVENT_PACKAGE as MWI_EVENT
from centrex.sip.uri import unescape

log = logging.getLogger(__name__)

MIN_EXPIRES = 60
MAX_EXPIRES = 3600
DEFAULT_EXPIRES = 3600  # RFC 4235 §3.2 / RFC 3842 §4.2 suggest an hour
PACKAGES = (dialog_info.EVENT_PACKAGE, MWI_EVENT)


class MailboxSummaries(Protocol):
    """The current RFC 3842 body of an extension's mailbox (None: it has none); implemented
    above the call layer (voicemail), passed in by `server.py`."""

    async def mwi_body(self, tenant_id: int, extension: str) -> str | None: ...


@dataclass(eq=False)
class Subscription:
    tenant_id: int
    domain: str
    package: str
    target: str  # the extension watched
    dialog: Dialog
    remote: tuple[str, int]  # where NOTIFYs go: the subscriber's source (NAT-safe, RFC 3581)
    transport: str
    expires_at: float
    version: int = 0
    ended: bool = False
    sending: bool = False  # a change NOTIFY is in flight (unanswered)
    pending: bool = False  # the state changed meanwhile: send again when it is answered

    @property
    def key(self) -> tuple[str, str]:
        return (self.dialog.call_id, self.dialog.local_tag)


def granted_expires(value: str | None) -> int | None:
    """The subscription time we grant for a requested `Expires` (None: malformed)."""
    if value is None or value.strip() == "":
        return DEFAULT_EXPIRES
    text = value.strip()
    if not is_digits(text):
        return None
    return min(int(text), MAX_EXPIRES)


class BusyLamps:
    """The `dialog` and `message-summary` notifier."""

    name = "blf"

    def __init__(self, mailboxes: MailboxSummaries | None = None) -> None:
        self._mailboxes = mailboxes
        self._by_key: dict[tuple[str, str], Subscription] = {}
        self._by_target: dict[tuple[int, str], set[Subscription]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._actions: CallActions | None = None
        # (tenant, extension) -> the dialogs last serialized, and the document around its
        # version number: every watcher of that state gets the same bytes but the version
        self._documents: dict[tuple[int, str], tuple[tuple[ExtensionDialog, ...], bytes, bytes]]
        self._documents = {}
        self.notifies_sent = 0

    def attach(self, hooks: FeatureHooks) -> None:
        hooks.serve_method("SUBSCRIBE", self.on_subscribe)
        self._actions = hooks.actions
        hooks.actions.live.watch(self._changed)

    @property
    def actions(self) -> CallActions:
        assert self._actions is not None, "attach() first"
        return self._actions

    def _monotonic(self) -> float:
        return self.actions.core.monotonic()

    def subscriptions(self, tenant_id: int, target: str) -> list[Subscription]:
        now = self._monotonic()
        return [s for s in self._by_target.get((tenant_id, target), ()) if s.expires_at > now]

    # ---- SUBSCRIBE ----------------------------------------------------------------------------
    async def on_subscribe(self, event: RequestReceived) -> None:
        request = event.request
        actions = self.actions
        self._sweep()
        package = (request.headers.get("Event") or "").split(";", 1)[0].strip().lower()
        if request.to is not None and request.to.tag is not None:
            await self._refresh(event)
            return
        if package not in PACKAGES:
            actions.reply(request, event.transaction, 489, transport=event.transport,
                          headers=[("Allow-Events", ", ".join(PACKAGES))])  # fmt: skip
            return
        expires = granted_expires(request.headers.get("Expires"))
        if expires is None:
            actions.reply(request, event.transaction, 400, reason="Bad Request (Expires)",
                          transport=event.transport)  # fmt: skip
            return
        if 0 < expires < MIN_EXPIRES:
            actions.reply(request, event.transaction, 423, transport=event.transport,
                          headers=[("Min-Expires", str(MIN_EXPIRES))])  # fmt: skip
            return
        who = await actions.authenticate(event, proxy=False)
        if who is None:
            return
        tenant_id, domain, subscriber = who.tenant.id, who.tenant.domain, who.credential.number
        refusal = await self._refusal(request, tenant_id, domain, subscriber, package)
        if refusal is not None:
            status, reason = refusal
            log.info("SUBSCRIBE %s from %s refused: %s", package, subscriber, reason)
            actions.reply(request, event.transaction, status, reason=reason,
                          transport=event.transport)  # fmt: skip
            return
        target = unescape(request.uri.user or "")
        ok = actions.reply(
            request, event.transaction, 200, tag=generate_tag(), transport=event.transport,
            headers=[("Expires", str(expires)),
                     ("Contact", str(actions.local.contact(event.transport)))],
        )  # fmt: skip
        try:
            dialog = Dialog.from_uas(request, ok)
        except (SipError, ValueError) as exc:
            log.info("SUBSCRIBE from %s: no dialog: %s", subscriber, exc)
            return
        sub = Subscription(
            tenant_id, domain, package, target, dialog, event.source, event.transport,
            self._monotonic() + expires,
        )  # fmt: skip
        if expires > 0:
            self._by_key[sub.key] = sub
            self._by_target.setdefault((tenant_id, target), set()).add(sub)
        await self._notify(sub, final=expires == 0)

    async def _refusal(
        self, request: Request, tenant_id: int, domain: str, subscriber: str, package: str
    ) -> tuple[int, str] | None:
        """Why this subscription may not be had (None: it may)."""
        host = (request.uri.host or "").strip("[]").lower()
        if any(ch.isalpha() for ch in host) and host != domain.lower():
            return (403, "Forbidden (not your tenant)")
        target = unescape(request.uri.user or "")
        if package == MWI_EVENT:
            if target != subscriber:
                return (403, "Forbidden (another extension's mailbox)")
            return None
        plan = await self.actions.plan(tenant_id)
        if plan is None or (target not in plan.extensions and target not in plan.feature_numbers):
            return (404, "Not Found (no such extension)")
        return None

    async def _refresh(self, event: RequestReceived) -> None:
        request = event.request
        to = request.to
        sub = self._by_key.get((request.call_id or "", to.tag if to and to.tag else ""))
        if sub is None or sub.ended:
            self.actions.reply(request, event.transaction, 481, transport=event.transport)
            return
        error = sub.dialog.receive_request(request)
        if error is not None:
            self.actions.reply(request, event.transaction, error.status, tag=sub.dialog.local_tag,
                               transport=event.transport)  # fmt: skip
            return
        expires = granted_expires(request.headers.get("Expires"))
        if expires is None or 0 < expires < MIN_EXPIRES:
            status = 400 if expires is None else 423
            headers = [] if expires is None else [("Min-Expires", str(MIN_EXPIRES))]
            self.actions.reply(request, event.transaction, status, tag=sub.dialog.local_tag,
                               transport=event.transport, headers=headers)  # fmt: skip
            return
        granted = [("Expires", str(expires))]
        self.actions.reply(request, event.transaction, 200, tag=sub.dialog.local_tag,
                           transport=event.transport, headers=granted)  # fmt: skip
        sub.expires_at = self._monotonic() + expires
        await self._notify(sub, final=expires == 0)  # the final one drops the subscription

    # ---- NOTIFY -------------------------------------------------------------------------------
    def _changed(self, change: LiveChange) -> None:
        if change.kind != "dialog":
            return
        for sub in self.subscriptions(change.tenant_id, change.key):
            if sub.package != dialog_info.EVENT_PACKAGE:
                continue
            if sub.sending:
                sub.pending = True  # coalesced into the NOTIFY sent when this one is answered
                continue
            sub.sending = True
            task = asyncio.ensure_future(self._push(sub))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _push(self, sub: Subscription) -> None:
        """NOTIFY the current state, again while changes came in before the answer."""
        try:
            while True:
                sub.pending = False
                await self._notify(sub)
                if not sub.pending or sub.ended:
                    return
        finally:
            sub.sending = False

    async def _body(self, sub: Subscription) -> tuple[bytes, str]:
        if sub.package == MWI_EVENT:
            text = None
            if self._mailboxes is not None:
                text = await self._mailboxes.mwi_body(sub.tenant_id, sub.target)
            return (text or "Messages-Waiting: no\r\n").encode(), MWI_CONTENT_TYPE
        dialogs = tuple(await self.actions.live.dialogs(sub.tenant_id, sub.target))
        key = (sub.tenant_id, sub.target)
        cached = self._documents.get(key)
        if cached is None or cached[0] != dialogs:
            head, tail = self._document(sub.domain, sub.target, dialogs)
            self._documents[key] = (dialogs, head, tail)
        else:
            _, head, tail = cached
        return head + str(sub.version).encode() + tail, dialog_info.CONTENT_TYPE

    @staticmethod
    def _document(
        domain: str, target: str, dialogs: tuple[ExtensionDialog, ...]
    ) -> tuple[bytes, bytes]:
        """The dialog-info document split around its version number (serialized with 0)."""
        entries = [
            dialog_info.DialogEntry(
                hashlib.sha1(d.call_id.encode(), usedforsecurity=False).hexdigest()[:16],
                d.call_id, d.phase.value, d.initiator,
                f"sip:{d.peer}@{domain}" if d.peer else None,
            )
            for d in dialogs
        ]  # fmt: skip
        body = dialog_info.dialog_info(f"sip:{target}@{domain}", 0, entries)
        # the first `version="0"` is the root's: the declaration quotes with ', and escaped
        # attribute values (call ids, identities) cannot contain a bare "
        head, mark, tail = body.partition(b' version="0"')
        assert mark, "dialog-info without a version attribute"
        return head + b' version="', b'"' + tail

    async def _notify(self, sub: Subscription, *, final: bool = False) -> None:
        """Send the full current state (or the final `terminated` NOTIFY)."""
        if sub.ended:
            return
        remaining = int(sub.expires_at - self._monotonic())
        if remaining <= 0 and not final:
            self._drop(sub)
            return
        body, content_type = await self._body(sub)
        sub.version += 1
        state = "terminated" if final else f"active;expires={remaining}"
        actions = self.actions
        notify = sub.dialog.create_request(
            "NOTIFY",
            actions.local.via(sub.transport),
            contact=actions.local.contact(sub.transport),
            headers=[("Event", sub.package), ("Subscription-State", state)],
            body=body,
            content_type=content_type,
        )
        if final:
            self._drop(sub)
        self.notifies_sent += 1
        answer = await actions.request(notify, sub.remote, sub.transport)
        if answer is None or answer.status in (481, 408) or answer.status >= 500:
            self._drop(sub)  # the subscriber is gone (RFC 6665 §4.1.3)

    def _drop(self, sub: Subscription) -> None:
        sub.ended = True
        self._by_key.pop(sub.key, None)
        watchers = self._by_target.get((sub.tenant_id, sub.target))
        if watchers is not None:
            watchers.discard(sub)
            if not watchers:
                del self._by_target[(sub.tenant_id, sub.target)]
                self._documents.pop((sub.tenant_id, sub.target), None)

    def _sweep(self) -> None:
        now = self._monotonic()
        for sub in [s for s in self._by_key.values() if s.expires_at <= now]:
            self._drop(sub)

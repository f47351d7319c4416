"""The location service: bindings of contacts to addresses-of-record (RFC 3261 §10.3).

Theory of operation
-------------------
Pure and synchronous: time is the caller's `now` (wall-clock epoch seconds, because binding
expiry must survive a restart). `Location.apply` performs steps 6 to 8 of §10.3 for one
REGISTER whose tenant and user have already been authenticated:

- step 6: `Contact: *` is only valid alone and with `Expires: 0`, and removes every binding of
  the AOR; otherwise each contact's expiry is its `expires` parameter, else the `Expires`
  header, else the registrar default, capped at the maximum; 0 < expiry < minimum is refused
  with 423 Interval Too Brief and a `Min-Expires` header (§10.3 step 6, §21.4.17);
- step 7: an existing binding is updated only by a REGISTER with a different Call-ID or a
  higher CSeq (otherwise the whole request fails and nothing changes); expiry 0 removes it;
- step 8: the answer lists every current binding of the AOR with its remaining time.

All contacts of a request are checked before any is applied, so a request either fully
succeeds or changes nothing. Bindings are keyed by (tenant id, user) and the contact URI
compared without its parameters except `transport` (§19.1.4 makes transport significant).

A browser registers over SIP over WebSocket (RFC 7118) with an unroutable Contact such as
`sip:abc@df7jal23ls0d.invalid;transport=ws`: it can only be reached over the connection it
opened (its *flow*, RFC 5626 §5.3), which is the binding's `source` and `transport`. Such
bindings are `is_websocket`; `remove_flow` drops them when their connection closes (an index by
flow, checked against the live bindings when used, keeps that cheap).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from centrex.sip.errors import SipError
from centrex.sip.grammar import is_digits
from centrex.sip.headers import Contact
from centrex.sip.uri import URI

MAX_CONTACTS_PER_AOR = 10
WEBSOCKET_TRANSPORTS = frozenset({"WS", "WSS"})


@dataclass(frozen=True, slots=True)
class ExpiryPolicy:
    """Registrar expiry limits in seconds (default, minimum for 423, maximum granted)."""

    default: int = 3600
    minimum: int = 60
    maximum: int = 7200


@dataclass(frozen=True, slots=True)
class Binding:
    """One contact bound to `user` of a tenant until `expires_at` (epoch seconds)."""

    tenant_id: int
    user: str
    aor: str
    contact: str
    contact_key: str
    expires_at: float
    call_id: str
    cseq: int
    source: tuple[str, int]
    transport: str
    q: float | None = None
    user_agent: str = ""
    instance: str | None = None
    reg_id: int | None = None

    @property
    def is_websocket(self) -> bool:
        """Registered over SIP over WebSocket (WS or WSS, RFC 7118): a browser, so a WebRTC
        media leg (ICE, DTLS-SRTP), reachable only over its own connection (`source`)."""
        return self.transport.upper() in WEBSOCKET_TRANSPORTS

    def remaining(self, now: float) -> int:
        """Whole seconds left (never negative)."""
        return max(0, int(self.expires_at - now + 0.5))

    def contact_header(self, now: float) -> str:
        """The Contact value the 200 OK lists for this binding (§10.3 step 8)."""
        value = f"<{self.contact}>;expires={self.remaining(now)}"
        if self.q is not None:
            value += f";q={self.q:g}"
        if self.instance is not None:
            value += f';+sip.instance="{self.instance}"'
        if self.reg_id is not None:
            value += f";reg-id={self.reg_id}"
        return value

    def to_dict(self, now: float) -> dict[str, object]:
        """A JSON-friendly view for the CLI and the API's `RegistrationSource`."""
        expires_at = datetime.fromtimestamp(self.expires_at, UTC).replace(microsecond=0)
        return {
            "aor": self.aor,
            "user": self.user,
            "contact": self.contact,
            "q": self.q,
            "source": f"{self.source[0]}:{self.source[1]}",
            "transport": self.transport,
            "websocket": self.is_websocket,
            "user_agent": self.user_agent,
            "expires_at": expires_at.isoformat(),
            "expires_in": self.remaining(now),
        }


def contact_key(uri: URI) -> str:
    """The identity of a contact for §10.3 step 7 comparisons."""
    transport = uri.transport or ""
    return f"{uri.aor()};transport={transport}" if transport else uri.aor()


@dataclass(frozen=True, slots=True)
class RegisterRequest:
    """What `Location.apply` needs from a REGISTER (already authenticated)."""

    tenant_id: int
    user: str
    aor: str
    contacts: tuple[Contact, ...]
    expires_header: int | None
    call_id: str
    cseq: int
    source: tuple[str, int]
    transport: str
    user_agent: str = ""


@dataclass(slots=True)
class Change:
    """What one REGISTER did: bindings written (added or refreshed) and bindings removed."""

    written: list[Binding] = field(default_factory=list)
    removed: list[Binding] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.written and not self.removed


class Location:
    """In-memory bindings of every tenant; the persistent copy is kept by `BindingStore`."""

    def __init__(self, policy: ExpiryPolicy | None = None) -> None:
        self.policy = policy or ExpiryPolicy()
        self._aors: dict[tuple[int, str], dict[str, Binding]] = {}
        # WebSocket flow (transport, source) -> bindings that may use it; may hold stale keys,
        # so `remove_flow` checks each against `_aors` (entries go when the flow closes)
        self._flows: dict[tuple[str, tuple[str, int]], set[tuple[int, str, str]]] = {}

    # ---- reads ---------------------------------------------------------------------------
    def lookup(self, tenant_id: int, user: str, now: float) -> list[Binding]:
        """Live bindings of an AOR, highest q first (§16.6: q orders the targets), then the
        most recent registration first."""
        bindings = self._aors.get((tenant_id, user))
        if not bindings:
            return []
        live = [b for b in bindings.values() if b.expires_at > now]
        live.sort(key=lambda b: (-(b.q if b.q is not None else 1.0), -b.expires_at))
        return live

    def bindings(self, tenant_id: int | None = None) -> Iterator[Binding]:
        """Every binding (of one tenant when given), expired ones included until swept."""
        for (tid, _), bindings in self._aors.items():
            if tenant_id is None or tid == tenant_id:
                yield from bindings.values()

    def __len__(self) -> int:
        return sum(len(b) for b in self._aors.values())

    # ---- writes --------------------------------------------------------------------------
    def load(self, bindings: Iterable[Binding]) -> None:
        """Restore persisted bindings at start."""
        for binding in bindings:
            self._aors.setdefault((binding.tenant_id, binding.user), {})[binding.contact_key] = (
                binding
            )
            self._index_flow(binding)

    def _index_flow(self, binding: Binding) -> None:
        if binding.is_websocket:
            key = (binding.transport.upper(), binding.source)
            self._flows.setdefault(key, set()).add(
                (binding.tenant_id, binding.user, binding.contact_key)
            )

    def remove_flow(self, transport: str, source: tuple[str, int]) -> list[Binding]:
        """Remove and return the WebSocket bindings reached over the flow `transport` from
        `source`, which has just closed (RFC 5626 §5.3: a flow that fails is not used again)."""
        gone: list[Binding] = []
        for tenant_id, user, ckey in self._flows.pop((transport.upper(), source), set()):
            bindings = self._aors.get((tenant_id, user))
            binding = bindings.get(ckey) if bindings else None
            if bindings is None or binding is None:
                continue
            if binding.source != source or binding.transport.upper() != transport.upper():
                continue  # re-registered meanwhile over another connection: still reachable
            gone.append(bindings.pop(ckey))
            if not bindings:
                del self._aors[(tenant_id, user)]
        return gone

    def expire(self, now: float) -> list[Binding]:
        """Remove and return every binding whose time has passed (the periodic sweep)."""
        gone: list[Binding] = []
        for key in list(self._aors):
            bindings = self._aors[key]
            for ckey, binding in list(bindings.items()):
                if binding.expires_at <= now:
                    gone.append(binding)
                    del bindings[ckey]
            if not bindings:
                del self._aors[key]
        return gone

    def expiry_for(self, contact: Contact, header: int | None) -> int:
        """§10.3 step 6: contact parameter, else Expires header, else default; capped."""
        value = contact.expires
        if value is None:
            value = header if header is not None else self.policy.default
        if 0 < value < self.policy.minimum:
            raise SipError(423, "Interval Too Brief", (("Min-Expires", str(self.policy.minimum)),))
        return min(value, self.policy.maximum)

    def apply(self, request: RegisterRequest, now: float) -> Change:
        """Steps 6-7 of §10.3 for one REGISTER; raises `SipError` and changes nothing on error."""
        key = (request.tenant_id, request.user)
        current = self._aors.get(key, {})
        change = Change()
        wildcard = [c for c in request.contacts if c.is_wildcard]
        if wildcard:
            if len(request.contacts) != 1 or request.expires_header != 0:
                raise SipError(400, "Wildcard Contact needs Expires: 0 and no other Contact")
            for binding in current.values():
                self._check_order(binding, request)
            change.removed = list(current.values())
            self._aors.pop(key, None)
            return change
        planned: list[tuple[str, Binding | None, Contact, int]] = []
        for contact in request.contacts:
            assert contact.uri is not None
            ckey = contact_key(contact.uri)
            expires = self.expiry_for(contact, request.expires_header)
            existing = current.get(ckey)
            if existing is not None:
                self._check_order(existing, request)
            planned.append((ckey, existing, contact, expires))
        bindings = self._aors.setdefault(key, {})
        for ckey, existing, contact, expires in planned:
            if expires == 0:
                if existing is not None:
                    change.removed.append(bindings.pop(ckey))
                continue
            binding = self._binding(request, contact, ckey, now + expires)
            if existing is None and len(bindings) >= MAX_CONTACTS_PER_AOR:
                # bounded per AOR: the binding that expires first makes room
                oldest = min(bindings.values(), key=lambda b: b.expires_at)
                change.removed.append(bindings.pop(oldest.contact_key))
            bindings[ckey] = binding
            self._index_flow(binding)
            change.written.append(binding)
        if not bindings:
            del self._aors[key]
        return change

    @staticmethod
    def _check_order(binding: Binding, request: RegisterRequest) -> None:
        # §10.3 step 7: same Call-ID and a CSeq not higher than the stored one: reject
        if binding.call_id == request.call_id and request.cseq <= binding.cseq:
            raise SipError(500, "Out of order REGISTER", (("Retry-After", "1"),))

    @staticmethod
    def _binding(
        request: RegisterRequest, contact: Contact, ckey: str, expires_at: float
    ) -> Binding:
        assert contact.uri is not None
        instance = contact.param("+sip.instance")
        reg_id = contact.param("reg-id")
        return Binding(
            tenant_id=request.tenant_id,
            user=request.user,
            aor=request.aor,
            contact=str(contact.uri),
            contact_key=ckey,
            expires_at=expires_at,
            call_id=request.call_id,
            cseq=request.cseq,
            source=request.source,
            transport=request.transport,
            q=contact.q,
            user_agent=request.user_agent[:255],
            instance=instance.strip('"<>')[:255] if instance else None,
            reg_id=int(reg_id) if reg_id and is_digits(reg_id) and len(reg_id) < 9 else None,
        )

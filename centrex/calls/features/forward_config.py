"""An extension's forwarding, do-not-disturb and call-waiting settings: read, checked, written.

Why here and not in `provisioning/`: the call layer reads these settings before every ring and
writes them when a phone dials a feature code (`*72`, `*78`…), and the call layer may not import
provisioning (shared/DESIGN.md §3). `provisioning/forwarding.py` is the administrators' face
(CLI, API) over the same functions, so a forward set from a phone and one set by the API are
checked by the same rules.

A destination (DEST) is stored normalised:

* an extension number of the tenant (of the tenant's extension length; it must exist *in this
  tenant*: another tenant's 201 is simply unknown here, and an extension never forwards to
  itself — that is a loop);
* an E.164 number (a national number is normalised for the tenant's country with the router's
  rules; an undialable string, or an emergency number, is refused);
* `voicemail`: the forwarding extension's own mailbox (it must have one);
* `flow:NAME`: the tenant's IVR call flow NAME (it must exist).

Every query goes through `TenantScope` (centrex/data/tenancy.py), so isolation holds here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from centrex.calls.router import emergency_numbers, normalise_outbound
from centrex.data.models import CallFlow, Extension, RingGroup, Tenant, VoicemailBox
from centrex.data.tenancy import TenantScope
from centrex.errors import ValidationFailed

DEFAULT_NO_ANSWER_SECONDS = 20
MIN_NO_ANSWER_SECONDS = 1
MAX_NO_ANSWER_SECONDS = 300
VOICEMAIL = "voicemail"
FLOW_PREFIX = "flow:"


class ForwardKind(StrEnum):
    """When a forward applies (the CLI's --always/--busy/--no-answer/--unregistered)."""

    ALWAYS = "always"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    UNREGISTERED = "unregistered"


COLUMNS = {
    ForwardKind.ALWAYS: "forward_always",
    ForwardKind.BUSY: "forward_busy",
    ForwardKind.NO_ANSWER: "forward_no_answer",
    ForwardKind.UNREGISTERED: "forward_unregistered",
}


@dataclass(frozen=True, slots=True)
class ExtensionForwarding:
    """What the ring hooks need to know about one extension (a snapshot, per call)."""

    number: str
    always: str | None = None
    busy: str | None = None
    no_answer: str | None = None
    no_answer_seconds: int = DEFAULT_NO_ANSWER_SECONDS
    unregistered: str | None = None
    dnd: bool = False
    call_waiting: bool = True

    def target(self, kind: ForwardKind) -> str | None:
        return {
            ForwardKind.ALWAYS: self.always,
            ForwardKind.BUSY: self.busy,
            ForwardKind.NO_ANSWER: self.no_answer,
            ForwardKind.UNREGISTERED: self.unregistered,
        }[kind]


def snapshot(extension: Extension) -> ExtensionForwarding:
    return ExtensionForwarding(
        number=extension.number,
        always=extension.forward_always,
        busy=extension.forward_busy,
        no_answer=extension.forward_no_answer,
        no_answer_seconds=extension.forward_no_answer_seconds or DEFAULT_NO_ANSWER_SECONDS,
        unregistered=extension.forward_unregistered,
        dnd=bool(extension.dnd),
        call_waiting=extension.call_waiting is not False,
    )


async def load(scope: TenantScope, number: str) -> ExtensionForwarding | None:
    """The settings of `number` in the scope's tenant (None: no such extension here)."""
    extension = await scope.first(Extension, Extension.number == number)
    return None if extension is None else snapshot(extension)


def _invalid(message: str, error_id: str) -> ValidationFailed:
    return ValidationFailed(message, error_id=error_id, field="destination")


async def check_destination(scope: TenantScope, extension: Extension, text: str) -> str:
    """The normalised DEST for a forward of `extension`, or `ValidationFailed` saying why the
    router would not take it (unknown extension or flow, undialable number, no mailbox)."""
    value = text.strip()
    if not value:
        raise _invalid("a forward needs a destination", "forward-destination-missing")
    tenant = await scope.session.get(Tenant, scope.tenant_id)
    if tenant is None:
        raise _invalid("tenant not found", "forward-destination-unknown")
    if value.lower() == VOICEMAIL:
        box = await scope.first(VoicemailBox, VoicemailBox.extension_id == extension.id)
        if box is None:
            raise _invalid(f"extension {extension.number} has no voicemail box",
                           "forward-no-mailbox")  # fmt: skip
        return VOICEMAIL
    if value.lower().startswith(FLOW_PREFIX):
        name = value[len(FLOW_PREFIX) :].strip()
        if not name or await scope.first(CallFlow, CallFlow.name == name) is None:
            raise _invalid(f"call flow {name!r} does not exist in {scope.domain}",
                           "forward-destination-unknown")  # fmt: skip
        return FLOW_PREFIX + name
    if value.replace(" ", "") in emergency_numbers(tenant.country):
        raise _invalid(f"{value} is an emergency number: it cannot be a forward",
                       "forward-destination-undialable")  # fmt: skip
    internal = await _internal(scope, tenant, extension, value)
    if internal is not None:
        return internal
    e164 = normalise_outbound(value, tenant.country)
    if e164 is None:
        raise _invalid(f"{value!r} is not an extension, a dialable number, 'voicemail' or "
                       "'flow:NAME'", "forward-destination-undialable")  # fmt: skip
    return e164


async def _internal(
    scope: TenantScope, tenant: Tenant, extension: Extension, value: str
) -> str | None:
    """`value` as one of the tenant's ring groups (any length: the router serves it as a
    feature) or extensions, None when it has no extension's form, else why not."""
    if not (value.isascii() and value.isdigit()):
        return None
    if await scope.first(RingGroup, RingGroup.number == value) is not None:
        return value
    if len(value) != tenant.extension_digits:
        return None
    if value == extension.number:
        raise _invalid(f"extension {value} cannot forward to itself", "forward-loop")
    if await scope.first(Extension, Extension.number == value) is None:
        raise _invalid(f"extension {value} does not exist in {scope.domain}",
                       "forward-destination-unknown")  # fmt: skip
    return value


def check_seconds(seconds: int) -> int:
    if not MIN_NO_ANSWER_SECONDS <= seconds <= MAX_NO_ANSWER_SECONDS:
        raise ValidationFailed(
            f"--after must be {MIN_NO_ANSWER_SECONDS}-{MAX_NO_ANSWER_SECONDS} seconds",
            error_id="forward-seconds-out-of-range",
            field="no_answer_seconds",
        )
    return seconds


async def set_forward(
    scope: TenantScope,
    extension: Extension,
    kind: ForwardKind,
    destination: str,
    *,
    seconds: int | None = None,
) -> Extension:
    """Forward `extension` on `kind` to `destination` (checked); `seconds` for no-answer."""
    if extension.tenant_id != scope.tenant_id:
        raise _invalid("extension not found", "extension-not-found")
    if seconds is not None and kind is not ForwardKind.NO_ANSWER:
        raise ValidationFailed("--after applies to --no-answer only",
                               error_id="forward-seconds-without-no-answer")  # fmt: skip
    if seconds is not None:
        check_seconds(seconds)  # before anything is set: a refusal writes nothing
    checked = await check_destination(scope, extension, destination)
    setattr(extension, COLUMNS[kind], checked)
    if kind is ForwardKind.NO_ANSWER and seconds is not None:
        extension.forward_no_answer_seconds = seconds
    await scope.session.flush()
    return extension


async def clear_forward(
    scope: TenantScope, extension: Extension, kind: ForwardKind | None
) -> Extension:
    """Remove one forward (`kind`), or all of them (None)."""
    for which in [kind] if kind is not None else list(ForwardKind):
        setattr(extension, COLUMNS[which], None)
        if which is ForwardKind.NO_ANSWER:
            extension.forward_no_answer_seconds = None
    await scope.session.flush()
    return extension


async def set_dnd(scope: TenantScope, extension: Extension, on: bool) -> Extension:
    extension.dnd = on
    await scope.session.flush()
    return extension


async def set_call_waiting(scope: TenantScope, extension: Extension, on: bool) -> Extension:
    extension.call_waiting = on
    await scope.session.flush()
    return extension


def forwarding_view(extension: Extension) -> dict[str, object]:
    """The API's `forwarding` object (and the CLI's JSON)."""
    return {
        "always": extension.forward_always,
        "busy": extension.forward_busy,
        "no_answer": extension.forward_no_answer,
        "no_answer_seconds": extension.forward_no_answer_seconds or DEFAULT_NO_ANSWER_SECONDS,
        "unregistered": extension.forward_unregistered,
    }

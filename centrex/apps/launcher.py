"""The application launcher: what the call layer's `AppHost` (centrex.calls.app_host) runs.

Why a launcher: the B2BUA knows apps only by name ("voicemail", "voicemail-menu", "echo",
"speaking-clock", "ivr"), so the call layer never imports an app. The launcher holds a registry
of app factories (name → factory, shared/DESIGN.md habit 8: a registry, not an if/elif chain)
that `server.py` builds, usually from `standard_apps()`; a new app (conference, queue, fax) is
one more entry there. Each factory makes an `App` from the voicemail services once; the app
turns the call's context into its own arguments. The context is typed structurally
(`LaunchContext`), which the call layer's frozen `AppContext` satisfies.

"ivr" runs the flow an extension points at (`context.extension`), or the flow of a DID when
`context.extension` is an E.164 number (`run_flow_for_number`), or the flow NAME when it is
`flow:NAME` (an extension forwarded to a flow). A flow's final transfer:

- voicemail: the voicemail app runs on the same channel;
- extension, external: handed to the call layer's `CallControl` (the call is rung and bridged
  there, see centrex.calls.transfer). When the extension could not be reached (busy, no answer,
  not registered) its voicemail takes a message if it has an enabled mailbox, else goodbye;
  an external number that could not be reached gets goodbye;
- ring_group: handed to the call layer too (the group rings under the transfer, then its
  extension or number fallback); when nobody answers, goodbye;
- queue: the `queue` app (apps/queue) runs on the same channel with the queue's number: the
  caller waits with music on hold until an agent answers or the queue overflows;
- conference: the `conference` app (apps/conference) runs on the same channel with the room's
  number: the PIN if the room has one, then the room;
- no `CallControl` (a test, a call layer without transfers), or no queue app: refused
  politely (goodbye) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from centrex.apps.channel import AppChannel
from centrex.apps.common import goodbye
from centrex.apps.confirm import play_confirmation
from centrex.apps.echo import EchoTest
from centrex.apps.ivr import FlowRunner, TransferTarget, parse_flow
from centrex.apps.speaking_clock import SpeakingClock
from centrex.apps.voicemail import VoicemailApp, VoicemailMenu, VoicemailServices
from centrex.calls.app_host import CallControl, TransferKind, TransferOutcome
from centrex.data.models import CallFlow, GreetingKind
from centrex.provisioning import flows
from centrex.provisioning import voicemail as vm

log = logging.getLogger(__name__)

FLOW_TARGET = "flow:"  # "ivr" with extension "flow:NAME": the tenant's flow NAME (a forward)

# flow transfer kinds the call layer can ring (graph.TRANSFER_KINDS names)
CALL_TRANSFERS = {
    "extension": TransferKind.EXTENSION,
    "external": TransferKind.EXTERNAL,
    "ring_group": TransferKind.RING_GROUP,  # the group's number or name (features/ring_group)
}
# an extension that could not be reached: its voicemail, with the matching greeting
VOICEMAIL_AFTER = {
    TransferOutcome.BUSY: GreetingKind.BUSY,
    TransferOutcome.NO_ANSWER: GreetingKind.NO_ANSWER,
    TransferOutcome.UNAVAILABLE: GreetingKind.UNAVAILABLE,
}


class LaunchContext(Protocol):
    """What an app needs to know about its call (the call layer's `AppContext` fits)."""

    @property
    def tenant_id(self) -> int: ...
    @property
    def caller(self) -> str: ...
    @property
    def caller_name(self) -> str: ...
    @property
    def extension(self) -> str | None: ...
    @property
    def language(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def reason(self) -> str: ...


@dataclass(frozen=True, slots=True)
class QueueContext:
    """The context a flow's queue target gives the queue app: the flow's caller, the queue's
    number as `extension`."""

    tenant_id: int
    caller: str
    caller_name: str
    extension: str | None
    language: str
    timezone: str
    reason: str
    call_id: str


def greeting_for(reason: str) -> GreetingKind:
    """ "busy" / "no-answer" / "unavailable" (anything else: no-answer)."""
    try:
        return GreetingKind(reason)
    except ValueError:
        return GreetingKind.NO_ANSWER


class App(Protocol):
    """A media application the launcher starts by name."""

    async def run(
        self, channel: AppChannel, context: LaunchContext, control: CallControl | None
    ) -> None: ...


AppFactory = Callable[[VoicemailServices], App]


class AppLauncher:
    """Runs a named app on a channel until it finishes (implements the call layer's AppHost)."""

    def __init__(self, services: VoicemailServices, factories: Mapping[str, AppFactory]) -> None:
        self.services = services
        self._apps = {name: make(services) for name, make in factories.items()}
        for app in self._apps.values():
            if isinstance(app, IvrApp):
                app.launcher = self  # a flow's queue target runs the queue app

    def has(self, app: str) -> bool:
        return app in self._apps

    async def run(
        self,
        app: str,
        channel: AppChannel,
        context: LaunchContext,
        control: CallControl | None = None,
    ) -> None:
        """Run `app` until it ends; `control` lets a flow transfer the call (None: it cannot)."""
        runner = self._apps.get(app)
        if runner is None:
            raise ValueError(f"unknown app {app!r}")
        await runner.run(channel, context, control)


class LeaveMessage:
    """ "voicemail": the extension's mailbox takes a message (goodbye without an extension)."""

    def __init__(self, services: VoicemailServices) -> None:
        self.services = services
        self.voicemail = VoicemailApp(services)

    async def run(
        self, channel: AppChannel, context: LaunchContext, control: CallControl | None
    ) -> None:
        if context.extension is None:
            await goodbye(channel, self.services.prompts, context.language)
            return
        await self.voicemail.leave_message(
            channel,
            tenant_id=context.tenant_id,
            extension=context.extension,
            caller=context.caller,
            caller_name=context.caller_name,
            reason=greeting_for(context.reason),
            language=context.language,
        )


class MailboxMenu:
    """ "voicemail-menu": the owner listens to and manages messages (*97)."""

    def __init__(self, services: VoicemailServices) -> None:
        self.menu = VoicemailMenu(services)

    async def run(
        self, channel: AppChannel, context: LaunchContext, control: CallControl | None
    ) -> None:
        await self.menu.run(
            channel,
            tenant_id=context.tenant_id,
            extension=context.extension,
            language=context.language,
        )


class EchoTestApp:
    """ "echo": the echo test (*43)."""

    def __init__(self, services: VoicemailServices) -> None:
        self.echo = EchoTest(services.prompts, services.work_dir)

    async def run(
        self, channel: AppChannel, context: LaunchContext, control: CallControl | None
    ) -> None:
        await self.echo.run(channel, language=context.language)


class SpeakingClockApp:
    """ "speaking-clock": the time in the caller's time zone (*44)."""

    def __init__(self, services: VoicemailServices) -> None:
        self.services = services
        self.clock_app = SpeakingClock(services.prompts)

    async def run(
        self, channel: AppChannel, context: LaunchContext, control: CallControl | None
    ) -> None:
        await self.clock_app.run(
            channel,
            now=self.services.clock.utcnow(),
            timezone=context.timezone,
            language=context.language,
        )


class FeatureConfirmApp:
    """ "feature-confirm": the tone after a feature code changed a setting (`context.reason`
    names it: "dnd-on", "forward-off"…)."""

    def __init__(self, services: VoicemailServices) -> None:
        self.services = services

    async def run(
        self, channel: AppChannel, context: LaunchContext, control: CallControl | None
    ) -> None:
        await play_confirmation(channel, context.reason)


class IvrApp:
    """ "ivr": the flow an extension or a DID points at (see the module docstring)."""

    def __init__(self, services: VoicemailServices) -> None:
        self.services = services
        self.voicemail = VoicemailApp(services)
        self.launcher: AppLauncher | None = None

    async def run(
        self, channel: AppChannel, context: LaunchContext, control: CallControl | None
    ) -> None:
        # the router names what the flow is bound to: an extension, or a DID (E.164)
        target = context.extension
        if target is not None and target.startswith("+"):
            await self.run_flow_for_number(channel, context, target, control)
            return
        flow = None
        if target is not None:
            async with self.services.scope(context.tenant_id) as (scope, _tenant):
                if target.startswith(FLOW_TARGET):  # a forward to "flow:NAME"
                    name = target[len(FLOW_TARGET) :]
                    flow = await scope.first(CallFlow, CallFlow.name == name)
                else:
                    flow = await flows.flow_for_extension(scope, target)
        await self._run_flow(channel, context, flow, control)

    async def run_flow_for_number(
        self,
        channel: AppChannel,
        context: LaunchContext,
        e164: str,
        control: CallControl | None = None,
    ) -> None:
        """Run the flow a DID points at (goodbye when none does)."""
        async with self.services.scope(context.tenant_id) as (scope, _tenant):
            flow = await flows.flow_for_number(scope, e164)
        await self._run_flow(channel, context, flow, control)

    async def _run_flow(
        self,
        channel: AppChannel,
        context: LaunchContext,
        flow: CallFlow | None,
        control: CallControl | None,
    ) -> None:
        s = self.services
        if flow is None:
            await goodbye(channel, s.prompts, context.language)
            return
        async with s.scope(context.tenant_id) as (scope, _tenant):
            media = await flows.media_paths(scope, s.store, flow)

        async def transfer(channel: AppChannel, target: TransferTarget, language: str) -> None:
            kind = CALL_TRANSFERS.get(target.kind)
            if target.kind == "voicemail":
                await self.voicemail.leave_message(
                    channel,
                    tenant_id=context.tenant_id,
                    extension=target.value,
                    caller=context.caller,
                    caller_name=context.caller_name,
                    language=language,
                )
            elif kind is not None and control is not None:
                await self._transfer(channel, context, control, kind, target.value, language)
            elif (
                target.kind in ("queue", "conference")
                and self.launcher is not None
                and (self.launcher.has(target.kind))
            ):
                queue_context = QueueContext(context.tenant_id, context.caller,
                                             context.caller_name, target.value, language,
                                             context.timezone, "",
                                             getattr(context, "call_id", ""))  # fmt: skip
                await self.launcher.run(target.kind, channel, queue_context, control)
            else:
                log.warning(
                    "flow %s: transfer to %s %s not available", flow.id, target.kind, target.value
                )
                await goodbye(channel, s.prompts, language)

        await FlowRunner(s.prompts, transfer).run(
            channel,
            parse_flow(flow.graph),
            now=s.clock.utcnow(),
            language=context.language,
            media=media,
        )

    async def _transfer(
        self,
        channel: AppChannel,
        context: LaunchContext,
        control: CallControl,
        kind: TransferKind,
        value: str,
        language: str,
    ) -> None:
        """Have the call layer ring `value`; when it cannot be reached, the extension's
        voicemail (its usual no-answer behaviour) or goodbye."""
        outcome = await control.transfer(kind, value)
        if outcome in (TransferOutcome.CONNECTED, TransferOutcome.CALLER_GONE):
            return
        greeting = VOICEMAIL_AFTER.get(outcome)
        if kind is TransferKind.EXTENSION and greeting is not None:
            async with self.services.scope(context.tenant_id) as (scope, _tenant):
                box = await vm.mailbox_for_extension(scope, value)
            if box is not None and box.enabled:
                await self.voicemail.leave_message(
                    channel,
                    tenant_id=context.tenant_id,
                    extension=value,
                    caller=context.caller,
                    caller_name=context.caller_name,
                    reason=greeting,
                    language=language,
                )
                return
        log.info("transfer to %s %s: %s, goodbye", kind.value, value, outcome.value)
        await goodbye(channel, self.services.prompts, language)


def standard_apps() -> dict[str, AppFactory]:
    """The apps every Centrex serves, by the names the router uses; `server.py` passes them."""
    return {
        "voicemail": LeaveMessage,
        "voicemail-menu": MailboxMenu,
        "echo": EchoTestApp,
        "speaking-clock": SpeakingClockApp,
        "ivr": IvrApp,
        "feature-confirm": FeatureConfirmApp,
    }

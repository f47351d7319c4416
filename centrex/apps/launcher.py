"""The application launcher: what the call layer's `AppHost` (centrex.calls.app_host) runs.

Why a launcher: the B2BUA knows apps only by name ("voicemail", "voicemail-menu", "echo",
"speaking-clock", "ivr"); this module maps each name to the app and its arguments, so the call
layer never imports an app. The context it receives is typed structurally (`LaunchContext`),
which the call layer's frozen `AppContext` satisfies.

"ivr" runs the flow an extension points at (`context.extension`); `run_flow_for_number` does the
same for a DID. A flow's final transfer goes to `transfer` when the call layer provides one;
without it, a transfer to voicemail runs the voicemail app on the same channel and any other
target is refused politely (goodbye) and logged.
"""

from __future__ import annotations

import logging
from typing import Protocol

from centrex.apps.channel import AppChannel
from centrex.apps.common import goodbye
from centrex.apps.echo import EchoTest
from centrex.apps.ivr import FlowRunner, TransferHandler, TransferTarget, parse_flow
from centrex.apps.speaking_clock import SpeakingClock
from centrex.apps.voicemail import VoicemailApp, VoicemailMenu, VoicemailServices
from centrex.data.models import CallFlow, GreetingKind
from centrex.provisioning import flows

log = logging.getLogger(__name__)

APPS = frozenset({"voicemail", "voicemail-menu", "echo", "speaking-clock", "ivr"})


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


def greeting_for(reason: str) -> GreetingKind:
    """ "busy" / "no-answer" / "unavailable" (anything else: no-answer)."""
    try:
        return GreetingKind(reason)
    except ValueError:
        return GreetingKind.NO_ANSWER


class AppLauncher:
    """Runs a named app on a channel until it finishes (implements the call layer's AppHost)."""

    def __init__(
        self, services: VoicemailServices, *, transfer: TransferHandler | None = None
    ) -> None:
        self.services = services
        self.voicemail = VoicemailApp(services)
        self.menu = VoicemailMenu(services)
        self.echo = EchoTest(services.prompts, services.work_dir)
        self.clock_app = SpeakingClock(services.prompts)
        self._transfer = transfer

    def has(self, app: str) -> bool:
        return app in APPS

    async def run(self, app: str, channel: AppChannel, context: LaunchContext) -> None:
        if app == "voicemail":
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
        elif app == "voicemail-menu":
            await self.menu.run(
                channel,
                tenant_id=context.tenant_id,
                extension=context.extension,
                language=context.language,
            )
        elif app == "echo":
            await self.echo.run(channel, language=context.language)
        elif app == "speaking-clock":
            await self.clock_app.run(
                channel,
                now=self.services.clock.utcnow(),
                timezone=context.timezone,
                language=context.language,
            )
        elif app == "ivr":
            flow = None
            if context.extension is not None:
                async with self.services.scope(context.tenant_id) as (scope, _tenant):
                    flow = await flows.flow_for_extension(scope, context.extension)
            await self._run_flow(channel, context, flow)
        else:
            raise ValueError(f"unknown app {app!r}")

    async def run_flow_for_number(
        self, channel: AppChannel, context: LaunchContext, e164: str
    ) -> None:
        """Run the flow a DID points at (goodbye when none does)."""
        async with self.services.scope(context.tenant_id) as (scope, _tenant):
            flow = await flows.flow_for_number(scope, e164)
        await self._run_flow(channel, context, flow)

    async def _run_flow(
        self, channel: AppChannel, context: LaunchContext, flow: CallFlow | None
    ) -> None:
        s = self.services
        if flow is None:
            await goodbye(channel, s.prompts, context.language)
            return
        async with s.scope(context.tenant_id) as (scope, _tenant):
            media = await flows.media_paths(scope, s.store, flow)

        async def transfer(channel: AppChannel, target: TransferTarget, language: str) -> None:
            if self._transfer is not None:
                await self._transfer(channel, target, language)
            elif target.kind == "voicemail":
                await self.voicemail.leave_message(
                    channel,
                    tenant_id=context.tenant_id,
                    extension=target.value,
                    caller=context.caller,
                    caller_name=context.caller_name,
                    language=language,
                )
            else:
                log.warning(
                    "flow %s: transfer to %s %s not wired", flow.id, target.kind, target.value
                )
                await goodbye(channel, s.prompts, language)

        await FlowRunner(s.prompts, transfer).run(
            channel,
            parse_flow(flow.graph),
            now=s.clock.utcnow(),
            language=context.language,
            media=media,
        )

"""The app registry the call layer runs apps through (implements `calls.app_host.AppHost`).

A small name → app mapping (DESIGN.md habit 8: a registry, not an if/elif chain spread around):
feature codes and the router's `ToApp` destinations name these apps.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from centrex.apps.echo import EchoTest
from centrex.apps.speaking_clock import SpeakingClock
from centrex.apps.voicemail.deposit import VoicemailApp
from centrex.apps.voicemail.menu import VoicemailMenu
from centrex.apps.voicemail.services import VoicemailServices
from centrex.calls.app_host import AppContext
from centrex.data.models.apps import GreetingKind
from centrex.media.channel import Channel

log = logging.getLogger(__name__)

AppRunner = Callable[[Channel, AppContext], Awaitable[object]]


class AppLauncher:
    """Runs echo test, speaking clock, voicemail deposit and the voicemail menu."""

    def __init__(self, services: VoicemailServices) -> None:
        self.services = services
        echo = EchoTest(services.prompts, services.work_dir)
        clock = SpeakingClock(services.prompts)
        deposit = VoicemailApp(services)
        menu = VoicemailMenu(services)

        async def run_echo(channel: Channel, ctx: AppContext) -> object:
            return await echo.run(channel, language=ctx.language)

        async def run_clock(channel: Channel, ctx: AppContext) -> object:
            return await clock.run(
                channel, now=services.clock.utcnow(), timezone=ctx.timezone, language=ctx.language
            )

        async def run_deposit(channel: Channel, ctx: AppContext) -> object:
            assert ctx.extension is not None
            reason = GreetingKind(ctx.reason) if ctx.reason else GreetingKind.NO_ANSWER
            return await deposit.leave_message(
                channel,
                tenant_id=ctx.tenant_id,
                extension=ctx.extension,
                caller=ctx.caller,
                caller_name=ctx.caller_name,
                reason=reason,
            )

        async def run_menu(channel: Channel, ctx: AppContext) -> object:
            return await menu.run(
                channel, tenant_id=ctx.tenant_id, extension=ctx.caller, language=ctx.language
            )

        self._apps: dict[str, AppRunner] = {
            "echo": run_echo,
            "speaking-clock": run_clock,
            "voicemail": run_deposit,
            "voicemail-menu": run_menu,
        }

    def has(self, app: str) -> bool:
        return app in self._apps

    async def run(self, app: str, channel: Channel, context: AppContext) -> None:
        result = await self._apps[app](channel, context)
        log.info("app %s for tenant %s finished: %s", app, context.tenant_id, result)

"""A freshly created extension takes voicemail (issue 11, defect 4).

Before the fix, an extension made by the CLI or the portal had no mailbox: its callers heard
"mailbox unavailable" and the owner could not log in to the `*97` menu with any PIN.
"""

from __future__ import annotations

import email
from email import policy

from centrex.apps.voicemail import VoicemailApp, VoicemailMenu, VoicemailServices
from centrex.data.models import GreetingKind
from centrex.provisioning import extensions
from tests.apps.conftest import FakeChannel, Scopes, silence, tone

A = "a.example.com"


async def test_new_extension_takes_a_message_and_its_owner_logs_in_with_the_shown_pin(
    scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices
) -> None:
    async with scopes(A) as scope:
        created = await extensions.create_extension(scope, number="105", email="eve@a.example.com")
    assert created.voicemail_pin is not None
    caller = FakeChannel.script(recordings=[tone(2.0) + silence(1.0)])
    result = await VoicemailApp(services).leave_message(
        caller,
        tenant_id=two_tenants[A],
        extension="105",
        caller="+41215550100",
        reason=GreetingKind.NO_ANSWER,
    )
    assert result.outcome == "stored"
    assert "vm.mailbox_unavailable" not in caller.names()
    (eml,) = sorted((services.store.data_dir / "outbox").glob("*.eml"))
    mail = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert mail["To"] == "eve@a.example.com"  # the extension's address is the mailbox's
    owner = FakeChannel.script(keys=[created.voicemail_pin, "#"])
    assert await VoicemailMenu(services).run(owner, tenant_id=two_tenants[A], extension="105")
    assert owner.names()[:2] == ["vm.enter_pin", "vm.you_have"]


async def test_opted_out_extension_still_says_mailbox_unavailable(
    scopes: Scopes, two_tenants: dict[str, int], services: VoicemailServices
) -> None:
    async with scopes(A) as scope:
        await extensions.create_extension(scope, number="106", voicemail=False)
    caller = FakeChannel.script(recordings=[tone(2.0)])
    result = await VoicemailApp(services).leave_message(
        caller, tenant_id=two_tenants[A], extension="106", caller="x"
    )
    assert result.outcome == "no-mailbox"
    assert "vm.mailbox_unavailable" in caller.names()

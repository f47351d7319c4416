"""The demo's mailboxes keep the PIN the demo prints, now that every extension gets a mailbox.

Extensions are created with a generated PIN by default (issue 11, defect 4); the demo opts out and
makes its own mailboxes with `DEMO_VOICEMAIL_PIN`, once, however often it is started.
"""

from __future__ import annotations

from centrex.cli.common import CliState
from centrex.cli.serve import DEMO_EXTENSIONS, DEMO_VOICEMAIL_PIN, _demo_objects
from centrex.data.db import Database
from centrex.data.models import VoicemailBox
from centrex.provisioning import voicemail as vm
from centrex.provisioning.tenants import scope_for


async def test_demo_mailboxes_are_made_once_with_the_printed_pin(db: Database) -> None:
    for _run in range(2):
        async with db.transaction() as session:
            lines, _admin = await _demo_objects(CliState(), session)
        assert [line.number for line in lines] == [n for n, _ in DEMO_EXTENSIONS]
    async with db.session() as session:
        scope = await scope_for(session, "demo.centrex.test")
        assert await scope.count(VoicemailBox) == len(DEMO_EXTENSIONS)
        for number, _name in DEMO_EXTENSIONS:
            box = await vm.mailbox_for_extension(scope, number)
            assert box is not None
            assert vm.verify_pin(box, DEMO_VOICEMAIL_PIN)

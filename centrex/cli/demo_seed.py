"""The demo tenant: what `centrex demo` creates once and finds again on every start.

Everything is created only when missing, so a restart keeps what the tenant has (calls,
voicemail, changes made through the portal or the CLI). The passwords come from the
`DemoCredentials` kept in the data directory (centrex/cli/demo_credentials.py): a kept password
writes the same digest again, so a phone configured before the restart keeps registering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from centrex.provisioning.credentials import generate_password

if TYPE_CHECKING:  # imported when the demo runs: `centrex demo --help` must not pay for them
    from sqlalchemy.ext.asyncio import AsyncSession

    from centrex.cli.common import CliState
    from centrex.cli.demo_credentials import DemoCredentials
    from centrex.data.models import User, UserRole
    from centrex.data.tenancy import TenantScope

DEMO_DOMAIN = "demo.centrex.test"
DEMO_EXTENSIONS = (("101", "Alice Demo"), ("102", "Bob Demo"), ("103", "Carol Demo"))
DEMO_ADMIN_EMAIL = "admin@demo.centrex.test"
DEMO_SOFTPHONE_EMAIL = "alice@demo.centrex.test"  # the portal user of 101 (browser softphone)
DEMO_AGENT_EMAIL = "agent@demo.centrex.test"  # the agent desktop's login, owning 102 (issue 16)
DEMO_SUPERVISOR_EMAIL = "supervisor@demo.centrex.test"  # the supervisor console's login
DEMO_VOICEMAIL_PIN = "1234"
DEMO_RING_GROUP = "600"  # rings 101-103 at once (issue 12: "a ring group 600 rings 101-103")
DEMO_CONFERENCE = "800"  # a conference room without PIN: 101-103 meet there (issue 13)
DEMO_QUEUE = "500"  # an ACD queue answered by 102 and 103, longest idle first (issue 13)
DEMO_QUEUE_AGENTS = ("102", "103")


@dataclass
class DemoLine:
    number: str
    name: str
    password: str
    portal_email: str | None = None  # the portal user who owns the line (the softphone's login)
    portal_password: str | None = None


async def _prepare_demo(
    state: CliState, credentials: DemoCredentials
) -> tuple[list[DemoLine], str]:
    """Create or reuse the demo tenant (migrating the database first) and give its extensions
    and logins the passwords of `credentials`. What exists is kept: only missing objects are
    created, so a restart loses nothing the tenant has (calls, voicemail, changes)."""
    from centrex.data.db import Database

    database = Database(state.settings.effective_database_url)
    try:
        await database.upgrade()
        async with database.transaction() as session:
            return await _demo_objects(state, session, credentials)
    finally:
        await database.dispose()


async def _demo_objects(
    state: CliState, session: AsyncSession, credentials: DemoCredentials | None = None
) -> tuple[list[DemoLine], str]:
    """The demo objects; passwords from `credentials`, or new ones when it is None."""
    from sqlalchemy import select

    from centrex.data.models import Extension, Partner, RingGroup, Tenant, UserRole
    from centrex.provisioning import extensions as extension_service
    from centrex.provisioning import tenants as tenant_service

    now = state.clock.utcnow()
    partner = await session.scalar(select(Partner).where(Partner.name == "Demo Partner"))
    if partner is None:
        partner = await tenant_service.create_partner(
            session, name="Demo Partner", email="partner@demo.centrex.test"
        )
    tenant = await session.scalar(select(Tenant).where(Tenant.domain == DEMO_DOMAIN))
    if tenant is None:
        tenant = await tenant_service.create_tenant(
            session,
            now=now,
            name="Demo Company",
            domain=DEMO_DOMAIN,
            extension_digits=3,
            max_calls=10,
            language="en",
            partner_id=partner.id,
        )
    scope = tenant_service.scope_of(session, tenant)
    lines: list[DemoLine] = []
    for number, name in DEMO_EXTENSIONS:
        chosen = credentials.sip.get(number) if credentials is not None else None
        existing = await scope.first(Extension, Extension.number == number)
        if existing is None:
            # voicemail=False: the loop below gives every demo mailbox the PIN the demo prints
            created = await extension_service.create_extension(
                scope,
                number=number,
                name=name,
                password=chosen,
                email=f"{number}@demo.centrex.test",
                voicemail=False,
            )
            password = chosen or created.generated_password
        else:  # a kept password writes the same HA1 again: nothing changes for the phone
            generated = await extension_service.set_sip_password(scope, existing, chosen)
            password = chosen or generated
        assert password is not None
        lines.append(DemoLine(number, name, password))
    from centrex.data.models.apps import VoicemailBox
    from centrex.provisioning import voicemail as voicemail_service

    for number, _name in DEMO_EXTENSIONS:
        ext = await scope.first(Extension, Extension.number == number)
        assert ext is not None
        if await scope.first(VoicemailBox, VoicemailBox.extension_id == ext.id) is None:
            await voicemail_service.create_mailbox(scope, extension=number, pin=DEMO_VOICEMAIL_PIN)
    from centrex.provisioning import ring_groups as ring_group_service

    group = await scope.first(RingGroup, RingGroup.number == DEMO_RING_GROUP)
    if group is None:
        await ring_group_service.create_ring_group(
            scope, number=DEMO_RING_GROUP, name="Everyone", strategy="simultaneous",
            members=[number for number, _name in DEMO_EXTENSIONS],
        )  # fmt: skip
    from centrex.provisioning import queues as queue_service

    if not any(v.queue.number == DEMO_QUEUE for v in await queue_service.list_queues(scope)):
        await queue_service.create_queue(
            scope, number=DEMO_QUEUE, name="Support", strategy="longest-idle",
            members=list(DEMO_QUEUE_AGENTS), wrap_up_seconds=5, callback=True,
        )  # fmt: skip
    from centrex.data.models import Conference
    from centrex.provisioning import conferences as conference_service

    if await scope.first(Conference, Conference.number == DEMO_CONFERENCE) is None:
        await conference_service.create_conference(scope, number=DEMO_CONFERENCE, name="Meeting")
    from centrex.contact_center.demo import seed_demo_campaign

    await seed_demo_campaign(scope, DEMO_QUEUE_AGENTS, now)  # "Demo outbound" (issue 15)
    softphone = credentials.softphone_password if credentials is not None else None
    await _demo_softphone_user(scope, lines[0], softphone or generate_password(16))
    admin_password = credentials.admin_password if credentials is not None else ""
    admin_password = admin_password or generate_password(16)
    await _demo_login(scope, DEMO_ADMIN_EMAIL, "Demo Admin", UserRole.TENANT_ADMIN, admin_password)
    await _demo_desk_logins(scope, lines[1], credentials)
    await session.flush()
    return lines, admin_password


async def _demo_login(
    scope: TenantScope, email: str, name: str, role: UserRole, password: str
) -> User:
    """The portal user `email` with `password`; its hash is rewritten only when the password
    changed (a kept password leaves the row as it is)."""
    from centrex.data.models import User
    from centrex.provisioning.passwords import hash_password, verify_password

    user = await scope.first(User, User.email == email)
    if user is None:
        user = scope.add(User(name=name, email=email, role=role,
                              password_hash=hash_password(password)))  # fmt: skip
    elif user.password_hash is None or not verify_password(user.password_hash, password):
        user.password_hash = hash_password(password)
    await scope.session.flush()
    return user


async def _demo_desk_logins(
    scope: TenantScope, line: DemoLine, credentials: DemoCredentials | None
) -> None:
    """The agent of the sample campaign (owning `line`, 102, one of its agents: `/agent`) and a
    supervisor (`/supervisor`), issue 16; passwords from `credentials` (new ones without)."""
    from centrex.cli.demo_credentials import DemoCredentials
    from centrex.data.models import Extension, UserRole

    given = credentials or DemoCredentials()
    agent_password = given.agent_password or generate_password(16)
    boss_password = given.supervisor_password or generate_password(16)
    agent = await _demo_login(scope, DEMO_AGENT_EMAIL, line.name, UserRole.AGENT, agent_password)
    extension = await scope.first(Extension, Extension.number == line.number)
    assert extension is not None
    extension.user_id = agent.id
    line.portal_email, line.portal_password = DEMO_AGENT_EMAIL, agent_password
    await _demo_login(scope, DEMO_SUPERVISOR_EMAIL, "Demo Supervisor", UserRole.SUPERVISOR,
                      boss_password)  # fmt: skip


async def _demo_softphone_user(scope: TenantScope, line: DemoLine, password: str) -> None:
    """A portal user owning the first demo line (101): logging in as them opens their page
    with the browser softphone registered as that extension."""
    from centrex.data.models import Extension, UserRole

    user = await _demo_login(scope, DEMO_SOFTPHONE_EMAIL, line.name, UserRole.USER, password)
    extension = await scope.first(Extension, Extension.number == line.number)
    assert extension is not None
    extension.user_id = user.id
    line.portal_email, line.portal_password = DEMO_SOFTPHONE_EMAIL, password

"""Mail templates, campaign senders and letters over the REST API (SQLite and PostgreSQL), with
a real SMTP server (aiosmtpd on a free port): a template with an unknown field is refused naming
it; the mail a lead is sent reaches the server from the campaign's sender with the lead's fields
merged into subject and body; a server refusing the recipient answers 502 with its reason and
the mail stays in the outbox, delivered by the retry once the server takes it; a Word letter is
merged for the lead (python-docx reads it back) and its PDF without LibreOffice is a clear 501;
an agent reaches only leads of its own campaigns, a plain user nothing."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI
from sqlalchemy import select

from centrex.api.app import create_app
from centrex.api.sources import RegistrationsFromEvents
from centrex.apps.mail import Mailer
from centrex.clock import ManualClock
from centrex.contact_center import mail_merge
from centrex.data.db import Database
from centrex.data.models import Extension, MailOutboxEntry, OutboxStatus, Role, Tenant
from centrex.events import EventBus
from centrex.provisioning import tenants as tenant_service
from centrex.provisioning import tokens as token_service
from centrex.provisioning import users as user_service
from tests.api.conftest import FakeCalls, World, _seed
from tests.contact_center.test_mail_merge import LETTER, docx_text, make_docx
from tests.helpers import api_wiring, free_port

V = "/api/v1"
LEADS_CSV = (
    "number,name,email,company\n"
    "+41445550100,Zoé Martin,zoe@lead.example.org,Smith & Co\n"
    "+41445550101,Bob Nomail,,Acme\n"
)


@dataclass
class Inbox:
    """What an aiosmtpd server received, and the recipients it refuses."""

    refuse: set[str] = field(default_factory=set)
    mails: list[Envelope] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.mails.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@dataclass
class MailWorld:
    world: World
    app: FastAPI
    mailer: Mailer
    inbox: Inbox
    campaign_id: int = 0
    leads: dict[str, int] = field(default_factory=dict)


@pytest.fixture
async def mw(
    database_url: str, tmp_path: Path, smtp: tuple[Inbox, int]
) -> AsyncIterator[MailWorld]:
    database = Database(database_url)
    clock = ManualClock()
    bus = EventBus()
    app = create_app(database, clock=clock, events_bus=bus,
                     registrations=RegistrationsFromEvents(bus, clock), calls=FakeCalls(),
                     **api_wiring(tmp_path / "data"))  # fmt: skip
    inbox, port = smtp
    mailer = Mailer(database, smtp_url=f"smtp://127.0.0.1:{port}", outbox_dir=tmp_path / "eml",
                    clock=clock)  # fmt: skip
    app.state.mailer = mailer
    tokens, ids = await _seed(database, clock)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        world = World(client, database, bus, FakeCalls(), app.state.services.registrations,
                      clock, tokens, ids)  # fmt: skip
        found = MailWorld(world, app, mailer, inbox)
        await _campaign(found)
        yield found
    await database.dispose()


async def call(w: MailWorld, method: str, path: str, who: str = "admin_a", status: int = 200,
               **kwargs: Any) -> Any:  # fmt: skip
    answer = await w.world.client.request(method, path, headers=w.world.auth(who), **kwargs)
    assert answer.status_code == status, (method, path, answer.text)
    if answer.headers.get("content-type", "").startswith(("application/json", "application/pr")):
        return answer.json()
    return answer


async def _campaign(w: MailWorld) -> None:
    """A's campaign "Spring" (agent Alice, extension 301) with two leads; agent Bob (302) works
    on no campaign; Sonia is a supervisor."""
    world = w.world
    for number in ("301", "302"):
        await call(w, "POST", f"{V}/extensions", status=201, json={"number": number})
    made = await call(w, "POST", f"{V}/campaigns", status=201,
                      json={"name": "Spring", "method": "preview", "agents": ["301"]})  # fmt: skip
    w.campaign_id = made["id"]
    await call(w, "POST", f"{V}/leads/import", status=201,
               files={"file": ("leads.csv", LEADS_CSV.encode(), "text/csv")},
               data={"campaign_id": str(made["id"])})  # fmt: skip
    found = (await call(w, "GET", f"{V}/leads"))["items"]
    w.leads = {item["name"]: item["id"] for item in found}
    now = world.clock.utcnow()
    async with world.database.transaction() as session:
        scope = tenant_service.scope_of(session, await session.get_one(Tenant, world.ids["a"]))
        staff: list[tuple[str, str, str | None]] = [
            ("alice", "agent", "301"),
            ("bob", "agent", "302"),
            ("sonia", "supervisor", None),
        ]
        for key, role, ext_number in staff:  # fmt: skip
            user = await user_service.create_user(scope, name=key.title(), role=role,
                                                  email=f"{key}@a.example.com")  # fmt: skip
            if ext_number is not None:
                ext = await scope.first(Extension, Extension.number == ext_number)
                assert ext is not None
                ext.user_id = user.id
            token = await token_service.create_token(session, role=Role(role), now=now,
                                                     tenant_id=world.ids["a"], user_id=user.id)  # fmt: skip
            world.tokens[key] = token.secret


def _template(w: MailWorld, **changes: Any) -> dict[str, Any]:
    return {"name": "Welcome", "subject": "Offer for {company}",
            "body": "Hello {first_name},\n\nour offer for {company} ({number}).\n",
            "campaign_id": w.campaign_id, **changes}  # fmt: skip


async def _sender(w: MailWorld) -> None:
    await call(w, "PUT", f"{V}/campaigns/{w.campaign_id}/mail-settings",
               json={"sender_address": "spring@a.example.com", "sender_name": "Spring Team"})  # fmt: skip


async def test_templates_refuse_unknown_fields_and_are_managed(mw: MailWorld) -> None:
    bad = await call(mw, "POST", f"{V}/mail-templates", status=422,
                     json=_template(mw, body="Hi {first_name} of {compnay} in {citty}"))  # fmt: skip
    assert bad["error_id"] == "template-field-unknown"
    assert "compnay, citty" in bad["detail"]
    assert (await call(mw, "GET", f"{V}/mail-templates"))["total"] == 0
    made = await call(mw, "POST", f"{V}/mail-templates", status=201, json=_template(mw))
    assert made["subject"] == "Offer for {company}"
    taken = await call(mw, "POST", f"{V}/mail-templates", status=409, json=_template(mw))
    assert taken["error_id"] == "mail-template-name-taken"
    # tenant-wide templates know every lead's columns too; an update is checked the same way
    wide = await call(mw, "POST", f"{V}/mail-templates", status=201,
                      json=_template(mw, name="Wide", campaign_id=None))  # fmt: skip
    refused = await call(mw, "PUT", f"{V}/mail-templates/{wide['id']}", status=422,
                         json=_template(mw, name="Wide", subject="{nope}"))  # fmt: skip
    assert (refused["error_id"], refused["field"]) == ("template-field-unknown", "subject")
    listed = await call(mw, "GET", f"{V}/mail-templates", params={"campaign_id": mw.campaign_id})
    assert [t["name"] for t in listed["items"]] == ["Welcome", "Wide"]
    # an agent reads, a supervisor manages, a plain user is refused
    assert (await call(mw, "GET", f"{V}/mail-templates/{made['id']}", "alice"))["name"] == "Welcome"
    # an agent off the campaign sees only the tenant-wide template
    seen = await call(mw, "GET", f"{V}/mail-templates", "bob")
    assert [t["name"] for t in seen["items"]] == ["Wide"]
    await call(mw, "GET", f"{V}/mail-templates/{made['id']}", "bob", 404)
    await call(mw, "POST", f"{V}/mail-templates", "alice", 403, json=_template(mw, name="A"))
    await call(mw, "PUT", f"{V}/mail-templates/{wide['id']}", "sonia",
               json=_template(mw, name="Wide 2", campaign_id=None))  # fmt: skip
    await call(mw, "GET", f"{V}/mail-templates", "user_a", 403)
    await call(mw, "DELETE", f"{V}/mail-templates/{wide['id']}", status=204)
    await call(mw, "GET", f"{V}/mail-templates/{wide['id']}", status=404)
    settings = await call(mw, "GET", f"{V}/campaigns/{mw.campaign_id}/mail-settings")
    assert settings == {"campaign_id": mw.campaign_id, "sender_address": "",
                        "sender_name": "", "configured": False}  # fmt: skip
    bad_sender = await call(mw, "PUT", f"{V}/campaigns/{mw.campaign_id}/mail-settings", status=422,
                            json={"sender_address": "not an address"})  # fmt: skip
    assert bad_sender["error_id"] == "mail-sender-bad-address"


async def test_the_lead_gets_the_mail_from_the_campaign_sender(mw: MailWorld) -> None:
    template = await call(mw, "POST", f"{V}/mail-templates", status=201, json=_template(mw))
    zoe = mw.leads["Zoé Martin"]
    body = {"template_id": template["id"]}
    missing = await call(mw, "POST", f"{V}/leads/{zoe}/mail", status=422, json=body)
    assert missing["error_id"] == "mail-sender-missing"
    await _sender(mw)
    preview = await call(mw, "POST", f"{V}/leads/{zoe}/mail/preview", "alice", json=body)
    assert preview["from"] == "Spring Team <spring@a.example.com>"
    assert preview["subject"] == "Offer for Smith & Co"
    assert mw.inbox.mails == []  # a preview sends nothing

    sent = await call(mw, "POST", f"{V}/leads/{zoe}/mail", "alice", json=body)
    assert sent["status"] == "sent"
    [mail] = mw.inbox.mails
    assert mail.mail_from == "spring@a.example.com"
    assert mail.rcpt_tos == ["zoe@lead.example.org"]
    text = mail.content.decode() if isinstance(mail.content, bytes) else str(mail.content)
    assert "Subject: Offer for Smith & Co" in text
    assert "Hello Zo=C3=A9," in text or "Hello Zoé," in text
    assert "our offer for Smith & Co (+41445550100)." in text

    # a lead without address; an agent off the campaign; a plain user
    bob = mw.leads["Bob Nomail"]
    nomail = await call(mw, "POST", f"{V}/leads/{bob}/mail", status=422, json=body)
    assert nomail["error_id"] == "lead-email-missing"
    off = await call(mw, "POST", f"{V}/leads/{zoe}/mail", "bob", 404, json=body)
    assert off["error_id"] == "lead-not-found"
    await call(mw, "POST", f"{V}/leads/{zoe}/mail", "user_a", 403, json=body)
    assert len(mw.inbox.mails) == 1


async def test_a_refused_mail_is_kept_and_retried(mw: MailWorld) -> None:
    template = await call(mw, "POST", f"{V}/mail-templates", status=201, json=_template(mw))
    await _sender(mw)
    zoe = mw.leads["Zoé Martin"]
    mw.inbox.refuse.add("zoe@lead.example.org")
    refused = await call(mw, "POST", f"{V}/leads/{zoe}/mail", status=502,
                         json={"template_id": template["id"]})  # fmt: skip
    assert refused["error_id"] == "mail-refused"
    assert "mailbox unavailable" in refused["detail"]
    assert "kept in the outbox" in refused["detail"]
    assert mw.inbox.mails == []
    async with mw.world.database.session() as session:
        [entry] = (await session.scalars(select(MailOutboxEntry))).all()
    assert entry.status is OutboxStatus.PENDING
    assert entry.sender == "Spring Team <spring@a.example.com>"
    assert entry.tenant_id == mw.world.ids["a"]
    assert "550" in (entry.last_error or "")

    # the server takes it again: the retry loop's pass delivers exactly that mail
    mw.inbox.refuse.clear()
    assert await mw.mailer.deliver_due() == 0  # not due yet (backoff)
    mw.world.clock.advance(timedelta(minutes=1).total_seconds())
    assert await mw.mailer.deliver_due() == 1
    [mail] = mw.inbox.mails
    assert mail.rcpt_tos == ["zoe@lead.example.org"]
    assert b"Subject: Offer for Smith & Co" in bytes(mail.original_content or b"")


async def test_mail_without_a_mailer_is_unavailable(mw: MailWorld) -> None:
    template = await call(mw, "POST", f"{V}/mail-templates", status=201, json=_template(mw))
    await _sender(mw)
    del mw.app.state.mailer
    answer = await call(mw, "POST", f"{V}/leads/{mw.leads['Zoé Martin']}/mail", status=503,
                        json={"template_id": template["id"]})  # fmt: skip
    assert answer["error_id"] == "mail-unavailable"


async def test_letters_are_merged_for_the_lead(
    mw: MailWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload = {"file": ("welcome.docx", make_docx(LETTER), mail_merge.DOCX_TYPE)}
    bad = {"file": ("bad.docx", make_docx(["{{ compnay }}"]), mail_merge.DOCX_TYPE)}
    refused = await call(mw, "POST", f"{V}/document-templates", status=422, files=bad,
                         data={"name": "Bad", "campaign_id": str(mw.campaign_id)})  # fmt: skip
    assert (refused["error_id"], "compnay" in refused["detail"]) == ("template-field-unknown", True)
    text = {"file": ("notes.docx", b"plain text", mail_merge.DOCX_TYPE)}
    not_docx = await call(mw, "POST", f"{V}/document-templates", status=422, files=text,
                          data={"name": "Notes"})  # fmt: skip
    assert not_docx["error_id"] == "document-not-docx"
    made = await call(mw, "POST", f"{V}/document-templates", status=201, files=upload,
                      data={"name": "Welcome", "campaign_id": str(mw.campaign_id)})  # fmt: skip
    assert made["fields"] == ["answers", "company", "first_name"]
    zoe = mw.leads["Zoé Martin"]
    listed = await call(mw, "GET", f"{V}/leads/{zoe}/documents", "alice")
    assert [d["name"] for d in listed["items"]] == ["Welcome"]
    await call(mw, "GET", f"{V}/leads/{zoe}/documents", "bob", 404)

    letter = await call(mw, "POST", f"{V}/leads/{zoe}/documents", "alice",
                        json={"template_id": made["id"], "format": "docx"})  # fmt: skip
    assert letter.headers["content-type"] == mail_merge.DOCX_TYPE
    assert f'filename="welcome-{zoe}.docx"' in letter.headers["content-disposition"]
    assert docx_text(letter.content) == ["Dear Zoé,", "Your company: Smith & Co", "Interested: "]
    assert docx.Document(io.BytesIO(letter.content)).paragraphs  # a real .docx

    monkeypatch.setattr("centrex.contact_center.mail_merge.shutil.which", lambda name: None)
    pdf = await call(mw, "POST", f"{V}/leads/{zoe}/documents", "alice", 501,
                     json={"template_id": made["id"], "format": "pdf"})  # fmt: skip
    assert pdf["error_id"] == "pdf-converter-missing"
    assert "libreoffice-writer" in pdf["detail"]

    await call(mw, "DELETE", f"{V}/document-templates/{made['id']}", "alice", 403)
    await call(mw, "DELETE", f"{V}/document-templates/{made['id']}", status=204)
    assert (await call(mw, "GET", f"{V}/document-templates"))["total"] == 0

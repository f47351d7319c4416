"""Mail templates, campaign senders and letter templates in the multi-tenant table: A's
templates, A's campaign's sender and A's letter template are out of B's reach; B cannot make a
template or upload a letter for A's campaign, nor mail or merge a letter for A's lead; an agent
of A who works on none of A's campaigns mails and merges nothing for A's lead."""

from __future__ import annotations

import io
from typing import Any

import docx

from tests.api.multitenant_row import LIST, READ, REFERENCE, WRITE, Row, V, json_body, ref
from tests.api.multitenant_world import Env

AGENT = (("agent_a", None),)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("Dear {{ first_name }}, from Zoe")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


LETTER = _docx()  # made once: both seedings of a run keep files of the same size


def _upload(campaign_key: str | None) -> Any:
    def build(env: Env) -> dict[str, Any]:
        data = {"name": "Mallory letter"}
        if campaign_key:
            data["campaign_id"] = str(env.ids[campaign_key])
        return {"files": {"file": ("mallory.docx", LETTER, DOCX_TYPE)}, "data": data}

    return build


MAIL = {"template_id": "mail_template_id"}
TEMPLATE = {"name": "Mallory", "subject": "Hi {first_name}", "body": "Hello {name}"}

ROWS: list[Row] = [
    Row("GET", f"{V}/mail-templates", LIST, own="mail_template_id"),
    Row("GET", f"{V}/mail-templates", READ, query={"campaign_id": "{campaign_id}"},
        note="of A's campaign"),
    Row("POST", f"{V}/mail-templates", REFERENCE,
        body=ref(lambda ids: {**TEMPLATE, "campaign_id": ids["campaign_id"]}),
        error="campaign-not-found", note="for A's campaign"),
    Row("GET", f"{V}/mail-templates/{{template_id}}", READ, params=MAIL),
    Row("PUT", f"{V}/mail-templates/{{template_id}}", WRITE, body=json_body(TEMPLATE),
        params=MAIL),
    Row("DELETE", f"{V}/mail-templates/{{template_id}}", WRITE, params=MAIL),
    Row("GET", f"{V}/campaigns/{{campaign_id}}/mail-settings", READ),
    Row("PUT", f"{V}/campaigns/{{campaign_id}}/mail-settings", WRITE,
        body=json_body({"sender_address": "mallory@b.example.com"})),
    Row("POST", f"{V}/leads/{{lead_id}}/mail", WRITE,
        body=ref(lambda ids: {"template_id": ids["mail_template_id"]})),
    Row("POST", f"{V}/leads/{{lead_id}}/mail", WRITE, attackers=AGENT,
        body=ref(lambda ids: {"template_id": ids["mail_template_id"]}),
        note="agent of A, not an agent of the campaign"),
    Row("POST", f"{V}/leads/{{lead_id}}/mail/preview", WRITE,
        body=ref(lambda ids: {"template_id": ids["mail_template_id"]})),
    Row("POST", f"{V}/leads/{{lead_id}}/mail/preview", WRITE, attackers=AGENT,
        body=ref(lambda ids: {"template_id": ids["mail_template_id"]}),
        note="agent of A, not an agent of the campaign"),
    Row("GET", f"{V}/document-templates", LIST, own="document_template_id"),
    Row("GET", f"{V}/document-templates", READ, query={"campaign_id": "{campaign_id}"},
        note="of A's campaign"),
    Row("POST", f"{V}/document-templates", REFERENCE, body=_upload("campaign_id"),
        error="campaign-not-found", note="for A's campaign"),
    Row("DELETE", f"{V}/document-templates/{{document_id}}", WRITE,
        params={"document_id": "document_template_id"}),
    Row("GET", f"{V}/leads/{{lead_id}}/documents", READ),
    Row("GET", f"{V}/leads/{{lead_id}}/documents", READ, attackers=AGENT,
        note="agent of A, not an agent of the campaign"),
    Row("POST", f"{V}/leads/{{lead_id}}/documents", WRITE,
        body=ref(lambda ids: {"template_id": ids["document_template_id"]})),
    Row("POST", f"{V}/leads/{{lead_id}}/documents", WRITE, attackers=AGENT,
        body=ref(lambda ids: {"template_id": ids["document_template_id"]}),
        note="agent of A, not an agent of the campaign"),
]  # fmt: skip


async def seed(env: Env) -> None:
    """A's mail template "Zoe welcome", its campaign's sender, and a letter template of A's."""
    c, headers = env.world.client, env.world.auth("admin_a")
    campaign = env.ids["campaign_id"]
    made = await c.post(f"{V}/mail-templates", headers=headers,
                        json={"name": "Zoe welcome", "subject": "Zoe says hi {first_name}",
                              "body": "Hello {name}", "campaign_id": campaign})  # fmt: skip
    assert made.status_code == 201, made.text
    env.ids["mail_template_id"] = made.json()["id"]
    sender = await c.put(f"{V}/campaigns/{campaign}/mail-settings", headers=headers,
                         json={"sender_address": "zoe@a.example.com", "sender_name": "Zoe"})  # fmt: skip
    assert sender.status_code == 200, sender.text
    letter = await c.post(f"{V}/document-templates", headers=headers,
                          files={"file": ("zoe.docx", LETTER, DOCX_TYPE)},
                          data={"name": "Zoe letter", "campaign_id": str(campaign)})  # fmt: skip
    assert letter.status_code == 201, letter.text
    env.ids["document_template_id"] = letter.json()["id"]

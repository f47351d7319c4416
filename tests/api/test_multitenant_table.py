"""The multi-tenant table: every resource and verb of the REST API, tried from outside the tenant
(or partner) that owns the object, on SQLite and PostgreSQL.

For each route of the app's OpenAPI schema there is at least one row below; a route that is
neither in the table nor in `NOT_TENANT_OWNED` (platform-only or public, checked to be so) fails
`test_every_route_is_in_the_table`, so a new resource cannot forget its isolation tests.

Tenant A (partner One) owns one object of every kind; the attackers are tenant B's admin,
partner Two acting in B, the platform admin acting in B, and B's admin and partner Two naming A
with `Centrex-Tenant`. Every attack must answer 404 (never 403), leak nothing of A in its body
(a list shows none of A's objects), and write nothing: the whole database, the media files and
the live state are compared before and after.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from centrex.api import auth
from centrex.api.app import ROUTERS, create_app
from centrex.data.db import Database
from tests.api.conftest import World
from tests.api.multitenant_extra import extra_rows
from tests.api.multitenant_row import (
    CREATE,
    LIST,
    PARTNER,
    REACH,
    READ,
    REFERENCE,
    TENANT,
    WRITE,
    XLSX,
    Row,
    V,
    csv_upload,
    json_body,
    ref,
    wav_upload,
)
from tests.api.multitenant_world import (
    MARKERS,
    A,
    B,
    Env,
    env_fixture,  # noqa: F401 - the `env` fixture
    fresh_env_fixture,  # noqa: F401 - the `fresh_env` fixture
    prompt_graph,
    seeded_copy,  # noqa: F401 - behind `env`
    snapshot,
)
from tests.helpers import api_wiring

TABLE: list[Row] = [
    # users
    Row("GET", f"{V}/users", LIST, own="user_id"),
    Row(
        "POST",
        f"{V}/users",
        CREATE,
        body=json_body({"name": "Mallory", "email": "m@b.example.com"}),
    ),
    Row("GET", f"{V}/users/{{user_id}}", READ),
    Row("PATCH", f"{V}/users/{{user_id}}", WRITE, body=json_body({"name": "Mallory"})),
    Row("DELETE", f"{V}/users/{{user_id}}", WRITE),
    # the softphone's phone credential: always the caller's own user and extension (none of
    # the attackers is a user of B with an extension), so it is not found and nothing is issued
    Row("POST", f"{V}/me/phone-credential", REFERENCE, error="not-found", note="own user only"),
    # extensions
    Row("GET", f"{V}/extensions", LIST, own="extension_id"),
    Row(
        "POST",
        f"{V}/extensions",
        REFERENCE,
        body=ref(lambda ids: {"number": "402", "user_id": ids["user_id"]}),
        note="user of A",
    ),
    Row("GET", f"{V}/extensions/{{extension_id}}", READ),
    Row("PATCH", f"{V}/extensions/{{extension_id}}", WRITE, body=json_body({"name": "Mallory"})),
    Row(
        "PATCH",
        f"{V}/extensions/{{extension_id}}",
        REFERENCE,
        body=ref(lambda ids: {"user_id": ids["user_id"]}),
        params={"extension_id": "b_extension_id"},
        note="own extension to user of A",
    ),
    Row("DELETE", f"{V}/extensions/{{extension_id}}", WRITE),
    Row(
        "POST",
        f"{V}/extensions/{{extension_id}}/sip-password",
        WRITE,
        body=json_body({"password": "mallory-password-1"}),
    ),
    Row(
        "POST",
        f"{V}/extensions/{{extension_id}}/sip-password",
        WRITE,
        body=json_body({}),
        note="gen",
    ),
    # numbers
    Row("GET", f"{V}/numbers", LIST, own="number_id"),
    Row(
        "POST",
        f"{V}/numbers",
        REFERENCE,
        body=ref(lambda ids: {"e164": "+41215550201", "extension_id": ids["extension_id"]}),
        note="routed to extension of A",
    ),
    Row(
        "POST",
        f"{V}/numbers",
        REFERENCE,
        body=ref(lambda ids: {"e164": "+41215550202", "ring_group_id": ids["ring_group_id"]}),
        error="ring-group-not-found",
        note="routed to ring group of A",
    ),
    Row(
        "POST",
        f"{V}/numbers",
        REFERENCE,
        body=ref(lambda ids: {"e164": "+41215550203", "conference_id": ids["conference_id"]}),
        error="conference-not-found",
        note="routed to conference room of A",
    ),
    Row(
        "PATCH",
        f"{V}/numbers/{{number_id}}",
        REFERENCE,
        body=ref(lambda ids: {"conference_id": ids["conference_id"]}),
        params={"number_id": "b_number_id"},
        error="conference-not-found",
        note="own number to conference room of A",
    ),
    Row(
        "POST",
        f"{V}/numbers",
        REFERENCE,
        body=ref(lambda ids: {"e164": "+41215550204", "queue_id": ids["queue_id"]}),
        error="queue-not-found",
        note="routed to queue of A",
    ),
    Row(
        "PATCH",
        f"{V}/numbers/{{number_id}}",
        REFERENCE,
        body=ref(lambda ids: {"queue_id": ids["queue_id"]}),
        params={"number_id": "b_number_id"},
        error="queue-not-found",
        note="own number to queue of A",
    ),
    Row("GET", f"{V}/numbers/{{number_id}}", READ),
    Row("PATCH", f"{V}/numbers/{{number_id}}", WRITE, body=json_body({"extension_id": None})),
    Row(
        "PATCH",
        f"{V}/numbers/{{number_id}}",
        REFERENCE,
        body=ref(lambda ids: {"extension_id": ids["extension_id"]}),
        params={"number_id": "b_number_id"},
        note="own number to extension of A",
    ),
    Row("DELETE", f"{V}/numbers/{{number_id}}", WRITE),
    # ring groups (another tenant's extension is no member: 422 ring-group-member-unknown)
    Row("GET", f"{V}/ring-groups", LIST, own="ring_group_id"),
    Row(
        "POST",
        f"{V}/ring-groups",
        REFERENCE,
        body=json_body({"number": "601", "members": [{"target": "301"}]}),
        status=422,
        error="ring-group-member-unknown",
        note="extension of A as a member",
    ),
    Row("GET", f"{V}/ring-groups/{{group_id}}", READ, params={"group_id": "ring_group_id"}),
    Row(
        "PATCH",
        f"{V}/ring-groups/{{group_id}}",
        WRITE,
        body=json_body({"name": "Mallory"}),
        params={"group_id": "ring_group_id"},
    ),
    Row(
        "PATCH",
        f"{V}/ring-groups/{{group_id}}",
        REFERENCE,
        body=json_body({"members": [{"target": "301"}]}),
        params={"group_id": "b_ring_group_id"},
        status=422,
        error="ring-group-member-unknown",
        note="own group to an extension of A",
    ),
    Row("DELETE", f"{V}/ring-groups/{{group_id}}", WRITE, params={"group_id": "ring_group_id"}),
    # conference rooms and their live participants (the room is looked up in the caller's
    # tenant before any participant: A's room is 404 whatever participant id is named)
    Row("GET", f"{V}/conferences", LIST, own="conference_id"),
    Row("POST", f"{V}/conferences", CREATE, body=json_body({"number": "881"})),
    Row("GET", f"{V}/conferences/{{conference_id}}", READ),
    Row("PATCH", f"{V}/conferences/{{conference_id}}", WRITE, body=json_body({"pin": "5555"})),
    Row("DELETE", f"{V}/conferences/{{conference_id}}", WRITE),
    Row("GET", f"{V}/conferences/{{conference_id}}/participants", READ),
    *(
        Row(
            method,
            f"{V}/conferences/{{conference_id}}/participants/{{participant_id}}{tail}",
            WRITE,
            params={"participant_id": "conference_participant_id"},
        )
        for method, tail in (("POST", "/mute"), ("POST", "/unmute"), ("DELETE", ""))
    ),
    # ACD queues, their statistics and wallboard, and agents' states (an extension of A is
    # unknown in B: 404 whether read or changed)
    Row("GET", f"{V}/queues", LIST, own="queue_id"),
    Row(
        "POST",
        f"{V}/queues",
        CREATE,
        body=json_body({"number": "882", "members": [{"extension": "401"}]}),
    ),
    Row("GET", f"{V}/queues/{{queue_id}}", READ),
    Row("PATCH", f"{V}/queues/{{queue_id}}", WRITE, body=json_body({"name": "taken"})),
    Row("DELETE", f"{V}/queues/{{queue_id}}", WRITE),
    Row("GET", f"{V}/queues/{{queue_id}}/stats", READ),
    Row("GET", f"{V}/queues/{{queue_id}}/wallboard", READ),
    # B's own read seeds B's default pause reasons (a write to B): only naming A is attacked
    Row("GET", f"{V}/agents/pause-reasons", LIST, attackers=(("admin_b", A), ("p2", A))),
    Row("GET", f"{V}/agents/{{extension}}/state", READ, params={"extension": "a_agent"}),
    Row(
        "PUT",
        f"{V}/agents/{{extension}}/state",
        WRITE,
        body=json_body({"state": "paused", "reason": "1"}),
        params={"extension": "a_agent"},
    ),
    # call screening lists (another tenant's extension is unknown: 422)
    *(
        row
        for name in ("blocklist", "allowlist")
        for row in (
            Row("GET", f"{V}/{name}", LIST, own=f"{name}_id"),
            Row(
                "POST",
                f"{V}/{name}",
                REFERENCE,
                body=json_body({"pattern": "+33*", "direction": "inbound", "extension": "301"}),
                status=422,
                error="screening-extension-unknown",
                note="for an extension of A",
            ),
            Row("GET", f"{V}/{name}/{{entry_id}}", READ, params={"entry_id": f"{name}_id"}),
            Row("DELETE", f"{V}/{name}/{{entry_id}}", WRITE, params={"entry_id": f"{name}_id"}),
        )
    ),
    # feature codes (a tenant's own choice; B changing its own codes never touches A's) and
    # short numbers
    Row("GET", f"{V}/feature-codes", LIST),
    Row("PATCH", f"{V}/feature-codes", CREATE, body=json_body({"dnd-off": "*4343"})),
    Row("GET", f"{V}/short-numbers", LIST, own="short_number_id"),
    Row(
        "POST",
        f"{V}/short-numbers",
        CREATE,
        body=json_body({"number": "21", "target": "0446681800"}),
    ),
    Row("DELETE", f"{V}/short-numbers/{{number}}", WRITE, params={"number": "short_number"}),
    # call flows (a graph naming another tenant's media is a 422 flow-invalid issue list)
    Row("GET", f"{V}/flows", LIST, own="flow_id"),
    Row(
        "POST",
        f"{V}/flows",
        REFERENCE,
        body=ref(lambda ids: {"name": "Mallory", "graph": prompt_graph(ids["media_id"])}),
        status=422,
        error="flow-unknown-media",
        note="media of A",
    ),
    Row(
        "POST",
        f"{V}/flows/validate",
        REFERENCE,
        body=ref(lambda ids: {"graph": prompt_graph(ids["media_id"], "301")}),
        status=200,
        error="flow-unknown-media",
        note="media and extension of A",
    ),
    Row(
        "POST",
        f"{V}/flows/simulate",
        CREATE,
        body=json_body({"graph": {"start": "h", "nodes": [{"id": "h", "type": "hangup"}]}}),
        status=200,
    ),
    Row("GET", f"{V}/flows/{{flow_id}}", READ),
    Row("PATCH", f"{V}/flows/{{flow_id}}", WRITE, body=json_body({"name": "Mallory"})),
    Row(
        "PATCH",
        f"{V}/flows/{{flow_id}}",
        REFERENCE,
        body=ref(lambda ids: {"graph": prompt_graph(ids["media_id"])}),
        params={"flow_id": "b_flow_id"},
        status=422,
        error="flow-unknown-media",
        note="own flow to media of A",
    ),
    Row("DELETE", f"{V}/flows/{{flow_id}}", WRITE),
    Row("POST", f"{V}/flows/{{flow_id}}/simulate", READ, body=json_body({"digits": []})),
    Row("GET", f"{V}/flows/{{flow_id}}/bindings", READ),
    Row("POST", f"{V}/flows/{{flow_id}}/bindings", WRITE, body=json_body({"extension": "401"})),
    Row(
        "POST",
        f"{V}/flows/{{flow_id}}/bindings",
        REFERENCE,
        body=json_body({"number": "+41215550100"}),
        params={"flow_id": "b_flow_id"},
        note="own flow to number of A",
    ),
    Row(
        "POST",
        f"{V}/flows/{{flow_id}}/bindings",
        REFERENCE,
        body=json_body({"extension": "301"}),
        params={"flow_id": "b_flow_id"},
        note="own flow to extension of A",
    ),
    Row("DELETE", f"{V}/flows/{{flow_id}}/bindings/{{binding_id}}", WRITE),
    Row(
        "DELETE",
        f"{V}/flows/{{flow_id}}/bindings/{{binding_id}}",
        WRITE,
        params={"flow_id": "b_flow_id"},
        note="under own flow",
    ),
    # voicemail
    Row("GET", f"{V}/voicemail/boxes", LIST, own="mailbox_id"),
    Row(
        "POST",
        f"{V}/voicemail/boxes",
        REFERENCE,
        body=json_body({"extension": "301", "pin": "9999"}),
        note="extension of A",
    ),
    Row("GET", f"{V}/voicemail/boxes/{{mailbox_id}}", READ),
    Row("PATCH", f"{V}/voicemail/boxes/{{mailbox_id}}", WRITE, body=json_body({"pin": "9999"})),
    Row("DELETE", f"{V}/voicemail/boxes/{{mailbox_id}}", WRITE),
    Row("GET", f"{V}/voicemail/boxes/{{mailbox_id}}/messages", READ),
    Row("GET", f"{V}/voicemail/messages/{{message_id}}", READ),
    Row("PATCH", f"{V}/voicemail/messages/{{message_id}}", WRITE, body=json_body({"heard": True})),
    Row("DELETE", f"{V}/voicemail/messages/{{message_id}}", WRITE),
    Row("GET", f"{V}/voicemail/messages/{{message_id}}/audio", READ),
    Row(
        "PUT",
        f"{V}/voicemail/boxes/{{mailbox_id}}/greetings/{{greeting}}",
        WRITE,
        body=wav_upload(),
    ),
    # recordings
    Row("GET", f"{V}/recordings", LIST, own="recording_id"),
    Row(
        "GET",
        f"{V}/recordings",
        LIST,
        own="recording_id",
        query={"call_id": "cdr-zoe"},
        note="by call id of A",
    ),
    Row(
        "GET",
        f"{V}/recordings",
        LIST,
        own="recording_id",
        query={"cdr_id": "{cdr_id}"},
        note="by CDR of A",
    ),
    Row("GET", f"{V}/recordings/{{recording_id}}", READ),
    Row("GET", f"{V}/recordings/{{recording_id}}/audio", READ),
    Row("DELETE", f"{V}/recordings/{{recording_id}}", WRITE),
    # media
    Row("GET", f"{V}/media", LIST, own="media_id"),
    Row("POST", f"{V}/media", CREATE, body=wav_upload({"kind": "moh", "name": "Mallory"})),
    Row("GET", f"{V}/media/{{media_id}}", READ),
    Row("PATCH", f"{V}/media/{{media_id}}", WRITE, body=json_body({"name": "Mallory"})),
    Row("DELETE", f"{V}/media/{{media_id}}", WRITE),
    Row("GET", f"{V}/media/{{media_id}}/audio", READ),
    # CDRs
    Row("GET", f"{V}/cdrs", LIST, own="cdr_id"),
    Row("GET", f"{V}/cdrs", LIST, own="cdr_id", query={"extension": "301"}, note="by ext of A"),
    Row("GET", f"{V}/cdrs/export", LIST, note="csv"),
    Row("GET", f"{V}/cdrs/export", LIST, query={"extension": "301"}, note="csv by ext of A"),
    Row("GET", f"{V}/cdrs/export", LIST, query={"format": "xlsx"}, note="xlsx"),
    Row("GET", f"{V}/cdrs/{{cdr_id}}", READ),
    Row("GET", f"{V}/cdrs/{{cdr_id}}/legs", READ),
    # live state
    Row("GET", f"{V}/registrations", LIST),
    Row("GET", f"{V}/calls", LIST),
    Row("GET", f"{V}/presence", LIST),
    Row("GET", f"{V}/calls/{{call_id}}", READ),
    Row("DELETE", f"{V}/calls/{{call_id}}", WRITE),
    # call control (the live calls double answers like the call layer: another tenant's call
    # is not found)
    Row(
        "POST",
        f"{V}/calls",
        CREATE,
        body=json_body({"from_extension": "401", "to": "402"}),
        status=202,
    ),
    Row("POST", f"{V}/calls/{{call_id}}/transfer", WRITE, body=json_body({"to": "302"})),
    Row("POST", f"{V}/calls/{{call_id}}/transfer/complete", WRITE),
    Row("POST", f"{V}/calls/{{call_id}}/transfer/cancel", WRITE),
    Row("POST", f"{V}/calls/{{call_id}}/park", WRITE),
    Row("POST", f"{V}/calls/{{call_id}}/hold", WRITE),
    Row("POST", f"{V}/calls/{{call_id}}/resume", WRITE),
    Row("POST", f"{V}/calls/{{call_id}}/pickup", WRITE, body=json_body({"extension": "401"})),
    Row(
        "POST",
        f"{V}/calls/{{call_id}}/monitor",
        WRITE,
        body=json_body({"extension": "401", "mode": "listen"}),
    ),
    # caller ID per route
    Row("GET", f"{V}/caller-id-rules", LIST, own="caller_id_rule_id"),
    Row(
        "POST",
        f"{V}/caller-id-rules",
        REFERENCE,
        status=422,
        error="caller-id-not-owned",
        body=json_body({"prefix": "33", "number": "+41215550100"}),
        note="number of A",
    ),
    Row(
        "DELETE", f"{V}/caller-id-rules/{{rule_id}}", WRITE, params={"rule_id": "caller_id_rule_id"}
    ),
    # outbound campaigns, leads and DNC (issue 15): A's extension as an agent or A's number as
    # caller ID is unknown in B (422); A's campaign, batch, lead or DNC entry is 404
    Row("GET", f"{V}/campaigns", LIST, own="campaign_id"),
    Row(
        "POST",
        f"{V}/campaigns",
        REFERENCE,
        body=json_body({"name": "M", "method": "ratio", "agents": ["301"]}),
        status=422,
        error="campaign-agent-unknown",
        note="extension of A as agent",
    ),
    Row(
        "POST",
        f"{V}/campaigns",
        REFERENCE,
        body=json_body({"name": "M", "method": "ratio", "agents": ["401"], "groups": ["501"]}),
        status=422,
        error="campaign-group-unknown",
        note="queue of A as agent group",
    ),
    Row(
        "POST",
        f"{V}/campaigns",
        REFERENCE,
        body=json_body({"name": "M", "method": "ratio", "caller_id": "+41215550100"}),
        status=422,
        error="campaign-caller-id-not-owned",
        note="number of A as caller ID",
    ),
    Row("GET", f"{V}/campaigns/{{campaign_id}}", READ),
    Row("PATCH", f"{V}/campaigns/{{campaign_id}}", WRITE, body=json_body({"name": "Mallory"})),
    Row(
        "PATCH",
        f"{V}/campaigns/{{campaign_id}}",
        REFERENCE,
        body=json_body({"agents": ["301"]}),
        params={"campaign_id": "b_campaign_id"},
        status=422,
        error="campaign-agent-unknown",
        note="own campaign to an extension of A",
    ),
    Row(
        "PATCH",
        f"{V}/campaigns/{{campaign_id}}",
        REFERENCE,
        body=json_body({"groups": ["501"]}),
        params={"campaign_id": "b_campaign_id"},
        status=422,
        error="campaign-group-unknown",
        note="own campaign to a queue of A",
    ),
    Row("DELETE", f"{V}/campaigns/{{campaign_id}}", WRITE),
    *(
        Row("POST", f"{V}/campaigns/{{campaign_id}}/{action}", WRITE)
        for action in ("start", "pause", "stop")
    ),
    Row(
        "PUT",
        f"{V}/campaigns/{{campaign_id}}/focus",
        WRITE,
        body=json_body({"postal_codes": ["75"]}),
    ),
    Row("GET", f"{V}/campaigns/{{campaign_id}}/stats", READ),
    # explain and simulate only read, but A's campaign is still 404 to B (and A's own works)
    Row("GET", f"{V}/campaigns/{{campaign_id}}/explain", READ),
    Row(
        "GET",
        f"{V}/campaigns/{{campaign_id}}/explain",
        READ,
        query={"number": "+41445550100"},
        note="a lead of A",
    ),
    Row("POST", f"{V}/campaigns/{{campaign_id}}/simulate", READ, body=json_body({})),
    Row("GET", f"{V}/leads", LIST, own="lead_id"),
    Row("GET", f"{V}/leads", READ, query={"campaign_id": "{campaign_id}"}, note="of campaign of A"),
    Row(
        "POST",
        f"{V}/leads/import",
        REFERENCE,
        body=csv_upload("number\n+41445550177\n"),
        error="campaign-not-found",
        note="into campaign of A",
    ),
    Row("GET", f"{V}/leads/export", READ, query={"campaign_id": "{campaign_id}"}),
    Row(
        "GET",
        f"{V}/leads/export",
        READ,
        query={"campaign_id": "{campaign_id}", "format": "xlsx"},
        note="xlsx",
    ),
    Row("GET", f"{V}/leads/batches", LIST, own="batch_id"),
    Row("GET", f"{V}/leads/batches/{{batch_id}}", READ),
    Row("POST", f"{V}/leads/batches/{{batch_id}}/rollback", WRITE),
    Row("GET", f"{V}/leads/{{lead_id}}", READ),
    Row("GET", f"{V}/dnc", LIST, own="dnc_id"),
    Row("GET", f"{V}/dnc", READ, query={"campaign_id": "{campaign_id}"}, note="of campaign of A"),
    Row("POST", f"{V}/dnc", CREATE, body=json_body({"number": "+41445550178"})),
    Row(
        "POST",
        f"{V}/dnc",
        REFERENCE,
        body=ref(lambda ids: {"number": "+41445550177", "campaign_id": ids["campaign_id"]}),
        error="campaign-not-found",
        note="into campaign of A",
    ),
    Row(
        "POST",
        f"{V}/dnc/import",
        REFERENCE,
        body=csv_upload("+41445550177\n"),
        error="campaign-not-found",
        note="into campaign of A",
    ),
    Row("DELETE", f"{V}/dnc/{{entry_id}}", WRITE, params={"entry_id": "dnc_id"}),
    # scheduled callbacks: A's callback, campaign, lead and extension are out of B's reach
    Row("GET", f"{V}/callbacks", LIST, own="callback_id"),
    Row("GET", f"{V}/callbacks", READ, query={"campaign_id": "{campaign_id}"}, note="of A's"),
    Row(
        "POST",
        f"{V}/callbacks",
        REFERENCE,
        body=ref(
            lambda ids: {
                "campaign_id": ids["campaign_id"],
                "lead_id": ids["lead_id"],
                "at": "2026-06-02T10:00",
            }
        ),
        error="campaign-not-found",
        note="into campaign of A",
    ),
    Row(
        "POST",
        f"{V}/callbacks",
        REFERENCE,
        body=ref(
            lambda ids: {
                "campaign_id": ids["b_campaign_id"],
                "lead_id": ids["lead_id"],
                "at": "2026-06-02T10:00",
            }
        ),
        error="lead-not-found",
        note="lead of A in own campaign",
    ),
    Row("DELETE", f"{V}/callbacks/{{callback_id}}", WRITE),
    # call dispositions: B never sees A's own codes nor removes them; A's lead is not B's to
    # disposition, nor an agent of A's when another agent took its last call
    Row("GET", f"{V}/dispositions", LIST),
    Row(
        "POST", f"{V}/dispositions", CREATE, body=json_body({"code": "mallory", "label": "Mallory"})
    ),
    Row("DELETE", f"{V}/dispositions/{{code}}", WRITE, params={"code": "disposition_code"}),
    Row(
        "POST", f"{V}/leads/{{lead_id}}/disposition", WRITE, body=json_body({"disposition": "sale"})
    ),
    Row(
        "POST",
        f"{V}/leads/{{lead_id}}/disposition",
        WRITE,
        body=json_body({"disposition": "sale"}),
        attackers=(("agent_a", None),),
        note="agent of A, another agent's last call",
    ),
    # tokens (partner reach)
    Row("GET", f"{V}/tokens", LIST, kind=REACH, own="token_id"),
    Row(
        "POST",
        f"{V}/tokens",
        REFERENCE,
        kind=REACH,
        body=json_body({"role": "tenant-admin", "tenant": A}),
        note="tenant-admin of A",
    ),
    Row(
        "POST",
        f"{V}/tokens",
        REFERENCE,
        kind=REACH,
        body=json_body({"role": "user", "tenant": A, "user_email": "zoe@a.example.com"}),
        note="user of A",
    ),
    Row(
        "POST",
        f"{V}/tokens",
        REFERENCE,
        kind=REACH,
        body=json_body({"role": "user", "user_email": "zoe@a.example.com"}),
        attackers=(("admin_b", None),),
        note="user of A from B's own tenant",
    ),
    Row(
        "POST",
        f"{V}/tokens",
        REFERENCE,
        kind=REACH,
        body=ref(lambda ids: {"role": "partner", "partner_id": ids["partner_id"]}),
        attackers=(("p2", None),),
        note="partner One",
    ),
    Row("GET", f"{V}/tokens/{{token_id}}", READ, kind=REACH),
    Row("DELETE", f"{V}/tokens/{{token_id}}", WRITE, kind=REACH),
    # tenants (partner reach)
    Row("GET", f"{V}/tenants", LIST, kind=REACH, own="tenant_id"),
    Row(
        "POST",
        f"{V}/tenants",
        REFERENCE,
        kind=REACH,
        body=ref(
            lambda ids: {"name": "X", "domain": "x.example.com", "partner_id": ids["partner_id"]}
        ),
        attackers=(("p2", None),),
        note="under partner One",
    ),
    Row("GET", f"{V}/tenants/{{tenant_id}}", READ, kind=REACH),
    Row(
        "PATCH",
        f"{V}/tenants/{{tenant_id}}",
        WRITE,
        kind=REACH,
        body=json_body({"name": "Hijacked"}),
    ),
    Row("DELETE", f"{V}/tenants/{{tenant_id}}", WRITE, kind=REACH),
    Row("POST", f"{V}/tenants/{{tenant_id}}/suspend", WRITE, kind=REACH),
    Row("POST", f"{V}/tenants/{{tenant_id}}/activate", WRITE, kind=REACH),
    Row("GET", f"{V}/tenants/{{tenant_id}}/contacts", READ, kind=REACH),
    Row(
        "PUT",
        f"{V}/tenants/{{tenant_id}}/contacts/{{kind}}",
        WRITE,
        kind=REACH,
        body=json_body({"name": "Eve"}),
    ),
    Row("DELETE", f"{V}/tenants/{{tenant_id}}/contacts/{{kind}}", WRITE, kind=REACH),
    # partners (partner reach)
    Row("GET", f"{V}/partners", LIST, kind=PARTNER, own="partner_id"),
    Row("GET", f"{V}/partners/{{partner_id}}", READ, kind=PARTNER),
    Row(
        "PATCH",
        f"{V}/partners/{{partner_id}}",
        WRITE,
        kind=PARTNER,
        body=json_body({"name": "Two!"}),
    ),
]
TABLE += extra_rows()  # each feature's own file in tests/api/multitenant_extra/

# Routes that are not tenant-owned: public, or for the platform admin alone (checked below).
PUBLIC = {("GET", f"{V}/health"), ("GET", f"{V}/me")}
PLATFORM_ONLY: dict[tuple[str, str], dict[str, Any] | None] = {
    ("POST", f"{V}/partners"): {"name": "P"},
    ("DELETE", f"{V}/partners/{{partner_id}}"): None,
    ("GET", f"{V}/trunks"): None,
    ("POST", f"{V}/trunks"): {"name": "t", "host": "sip.example.com"},
    ("GET", f"{V}/trunks/{{trunk_id}}"): None,
    ("PATCH", f"{V}/trunks/{{trunk_id}}"): {"port": 5062},
    ("DELETE", f"{V}/trunks/{{trunk_id}}"): None,
    ("GET", f"{V}/number-ranges"): None,
    ("POST", f"{V}/number-ranges"): {"first": "+41215550300", "last": "+41215550309"},
    ("GET", f"{V}/number-ranges/{{range_id}}"): None,
    ("DELETE", f"{V}/number-ranges/{{range_id}}"): None,
    ("GET", f"{V}/outbound-routes"): None,
    ("POST", f"{V}/outbound-routes"): {"name": "r", "trunks": ["t"]},
    ("GET", f"{V}/outbound-routes/{{route_id}}"): None,
    ("DELETE", f"{V}/outbound-routes/{{route_id}}"): None,
    # national DNC lists bind every tenant: the provider's alone, never a tenant's to read
    ("GET", f"{V}/national-dnc"): None,
    ("PUT", f"{V}/national-dnc/{{country}}/{{name}}"): None,
    ("DELETE", f"{V}/national-dnc/{{country}}/{{name}}"): None,
}
NOT_TENANT_OWNED = PUBLIC | PLATFORM_ONLY.keys()

ATTACKERS = {
    TENANT: (("admin_b", None), ("p2", B), ("root", B), ("admin_b", A), ("p2", A)),
    REACH: (("admin_b", None), ("p2", None)),
    PARTNER: (("p2", None),),
}


# ------------------------------------------------------------------------------------ helpers


def _url(row: Row, env: Env) -> str:
    values = {name: env.ids[row.params.get(name, name)] for name in _path_params(row.path)}
    return row.path.format(**values)


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


async def _send(env: Env, row: Row, who: str, tenant: str | None) -> httpx.Response:
    kwargs = row.body(env) if row.body else {}
    query = {name: value.format(**env.ids) for name, value in row.query.items()}
    return await env.world.client.request(
        row.method,
        _url(row, env),
        params=query,
        headers=env.world.auth(who, tenant),
        **kwargs,
    )


def _text(response: httpx.Response) -> str:
    """The readable content of an answer (the XML inside an XLSX export)."""
    if not response.headers.get("content-type", "").startswith(XLSX):
        return response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        return " ".join(book.read(name).decode() for name in book.namelist())


def _leaks(response: httpx.Response, sent: str) -> list[str]:
    """A's markers in an answer, except those the attacker itself sent (echoed in errors)."""
    text = _text(response)
    return [m for m in MARKERS if m in text and m not in sent]


def _assert_not_found(response: httpx.Response, error: str = "not-found") -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error_id"].endswith(error), response.text


def _listed_ids(response: httpx.Response) -> list[Any]:
    if not response.headers["content-type"].startswith("application/json"):
        return []
    return [item.get("id") for item in response.json()["items"]]


async def _attack(env: Env, row: Row, who: str, tenant: str | None) -> None:
    sent = f"{_url(row, env)} {row.query} {tenant} {row.body(env) if row.body else ''}"
    response = await _send(env, row, who, tenant)
    label = (row.id, who, tenant)
    assert response.status_code != 403, label
    assert not _leaks(response, sent), (label, _leaks(response, sent), response.text)
    if tenant == A:  # naming a tenant out of reach: not found, whatever the route
        _assert_not_found(response, "tenant-not-found")
        return
    if row.verb == LIST:
        assert response.status_code == 200, (label, response.text)
        if row.own:
            assert env.ids[row.own] not in _listed_ids(response), label
    elif row.verb in (READ, WRITE):
        _assert_not_found(response)
    elif row.verb == REFERENCE:
        assert response.status_code == row.status, (label, response.text)
        if row.status == 404:
            _assert_not_found(response, row.error)
        else:
            assert row.error in response.text, (label, response.text)
    else:  # CREATE: the attacker's own tenant is not an attack (see the positive check)
        assert response.status_code in (row.status, 201), (label, response.text)


async def _control(env: Env, row: Row) -> None:
    """The same request by A's own side works and shows A's object: the 404s above are real."""
    who, tenant = ("root", None) if row.kind != TENANT else ("admin_a", None)
    if row.kind == PARTNER:
        who = "p1"
    response = await _send(env, row, who, tenant)
    assert response.status_code == 200, (row.id, response.text)
    if row.verb == LIST and row.own:
        assert env.ids[row.own] in _listed_ids(response), row.id
    elif row.verb == LIST:
        assert any(m in _text(response) for m in MARKERS), (row.id, response.text)


# -------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("row", TABLE, ids=lambda row: row.id)
async def test_another_tenant_cannot_reach(env: Env, row: Row) -> None:
    attackers = row.attackers or ATTACKERS[row.kind]
    if row.verb == CREATE:  # nothing of A to point at: only naming A is an attack
        attackers = tuple((who, t) for who, t in attackers if t == A)
    before = await snapshot(env)
    for who, tenant in attackers:
        await _attack(env, row, who, tenant)
        assert await snapshot(env) == before, (row.id, who, tenant, "wrote something")
    if row.verb in (LIST, READ):
        await _control(env, row)
    if row.verb == CREATE:
        a_before = await snapshot(env, env.world.ids["a"])
        own = await _send(env, row, "admin_b", None)
        assert own.status_code in (200, 201, 202), own.text
        assert await snapshot(env, env.world.ids["a"]) == a_before, row.id


async def test_a_copy_is_the_seeded_world(env: Env, fresh_env: Env) -> None:
    """The table's copies (`env`) hold what seeding from scratch makes: the same objects under
    the same ids, as many rows in every table, the same media files and live state. Secrets,
    PINs and file names are random per seeding, so rows are counted, not compared."""
    copied, fresh = await snapshot(env), await snapshot(fresh_env)
    assert env.ids == fresh_env.ids
    assert env.world.ids == fresh_env.world.ids
    assert set(env.world.tokens) == set(fresh_env.world.tokens)
    assert {t: len(rows) for t, rows in copied["tables"].items()} == {
        t: len(rows) for t, rows in fresh["tables"].items()
    }
    assert sorted(size for _, size in copied["files"]) == sorted(s for _, s in fresh["files"])
    assert copied["live"] == fresh["live"]
    assert sum(len(rows) for rows in copied["tables"].values()) > 50  # the world is not empty


def _app_routes() -> dict[tuple[str, str], APIRoute | None]:
    """Every (method, path) of the OpenAPI schema, with its route where a router module has it."""
    app = create_app(
        Database("sqlite+aiosqlite:///:memory:"), portal=False, **api_wiring(Path("/nonexistent"))
    )
    by_key = {
        (method, route.path): route
        for module in ROUTERS
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    documented = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops}
    return {key: by_key.get(key) for key in documented}


def _depends_on(route: APIRoute) -> set[Any]:
    calls: set[Any] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        calls.add(dependant.call)
        stack.extend(dependant.dependencies)
    return calls


def test_every_route_is_in_the_table() -> None:
    """A tenant-owned route without isolation rows fails here (add it to TABLE)."""
    routes = _app_routes()
    tabled = {(row.method, row.path) for row in TABLE}
    assert not tabled & NOT_TENANT_OWNED
    assert tabled <= routes.keys(), sorted(tabled - routes.keys())
    missing = routes.keys() - tabled - NOT_TENANT_OWNED
    assert not missing, f"routes without multi-tenant rows: {sorted(missing)}"
    assert routes.keys() >= NOT_TENANT_OWNED, sorted(NOT_TENANT_OWNED - routes.keys())
    for key in tabled:  # every path/id route gets a read or write attack, not just a list
        verbs = {row.verb for row in TABLE if (row.method, row.path) == key}
        if _path_params(key[1]):
            assert verbs & {READ, WRITE, REFERENCE}, key


def test_scoped_routes_are_attacked_as_their_scope() -> None:
    """Routes behind TenantScope are attacked from B and by naming A; those on Reach by B's
    admin and partner Two; none of the untabled routes uses either scope."""
    routes = _app_routes()
    for (method, path), route in routes.items():
        assert route is not None or (method, path) in PUBLIC, (method, path)
        calls = _depends_on(route) if route is not None else set()
        kinds = {row.kind for row in TABLE if (row.method, row.path) == (method, path)}
        if auth.tenant_scope in calls:
            assert kinds == {TENANT}, (method, path, kinds)
        if auth.caller_reach in calls:
            assert kinds, (method, path)
            assert kinds <= {REACH, PARTNER}, (method, path, kinds)
        if (method, path) in NOT_TENANT_OWNED:
            assert not {auth.tenant_scope, auth.caller_reach} & calls, (method, path)


@pytest.mark.parametrize(("method", "path"), sorted(PLATFORM_ONLY))
async def test_platform_only_routes_refuse_partners_and_tenants(
    world: World, method: str, path: str
) -> None:
    """Not tenant-owned means *platform admin only*: partners and tenant admins get 403 (a
    role, not another tenant's object), and nothing is written."""
    values = {name: world.ids["p1"] if name == "partner_id" else 1 for name in _path_params(path)}
    url = path.format(**values)
    body = PLATFORM_ONLY[(method, path)]
    for who in ("p1", "admin_a"):
        response = await world.client.request(method, url, json=body, headers=world.auth(who))
        assert response.status_code == 403, (method, url, who, response.text)
        assert response.json()["error_id"] == "forbidden"
    partner = await world.client.get(f"{V}/partners/{world.ids['p1']}", headers=world.auth("root"))
    assert partner.status_code == 200

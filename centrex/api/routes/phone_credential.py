"""/api/v1/me/phone-credential: what the browser softphone registers with (issue 14).

The /phone page never contains the SIP password: it POSTs here (portal session cookie with the
CSRF header, or the bearer token of a user) and receives a short-lived secret for the caller's
own extension, plus where to connect. The answer is exactly::

    {"ws_url": "wss://HOST:PORT", "sip_uri": "sip:101@tenant.domain",
     "authorization_user": "101", "password": "<random>", "display_name": "...",
     "expires_at": "ISO-8601"}

`ws_url` uses the host the request came to (so the page connects to the server it was loaded
from) and the SIP-over-WSS port of this process (`sip_wss_port`). The caller's tenant is its own
(a `Centrex-Tenant` naming another is 404, as everywhere); a caller that is no user of the
tenant, or a user without an extension, gets 404 with a clear message; when no WSS listener
runs, 503. Each call issues a new secret (`provisioning/phone_credentials.py`).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from centrex.api.auth import Caller, Now, Scope
from centrex.api.errors import PROBLEM_RESPONSES
from centrex.errors import CentrexError, ValidationFailed
from centrex.provisioning import phone_credentials as service

router = APIRouter(prefix="/api/v1/me", tags=["auth"], responses=PROBLEM_RESPONSES)
_HOSTNAME = re.compile(r"^[A-Za-z0-9.-]{1,253}$|^[0-9A-Fa-f:.]{2,45}$")


class PhoneUnavailable(CentrexError):
    """No SIP-over-WSS listener in this process: a browser could not register."""

    status = 503
    error_id = "phone-wss-off"


class PhoneCredentialOut(BaseModel):
    ws_url: str
    sip_uri: str
    authorization_user: str
    password: str
    display_name: str
    expires_at: str


def ws_url(request: Request) -> str:
    """wss://HOST:PORT with the request's host and this process's WSS port."""
    port = getattr(request.app.state, "phone_ws_port", None)
    if not port:
        raise PhoneUnavailable("SIP over secure WebSocket is off (setting sip_wss_port)")
    host = request.url.hostname or ""
    if not _HOSTNAME.match(host):
        raise ValidationFailed(f"unusable Host header {host!r}", error_id="invalid-host")
    return f"wss://[{host}]:{port}" if ":" in host else f"wss://{host}:{port}"


@router.post("/phone-credential", response_model=PhoneCredentialOut)
async def phone_credential(
    request: Request, response: Response, scope: Scope, caller: Caller, now: Now
) -> dict[str, Any]:
    await service.extension_of_user(scope, caller.user_id)  # 404 before anything else
    url = ws_url(request)
    issued = await service.issue_phone_credential(scope, user_id=caller.user_id, now=now)
    response.headers["Cache-Control"] = "no-store"  # a secret: never kept by a cache
    return {
        "ws_url": url,
        "sip_uri": issued.sip_uri,
        "authorization_user": issued.number,
        "password": issued.secret,
        "display_name": issued.display_name,
        "expires_at": issued.expires_at.isoformat(),
    }

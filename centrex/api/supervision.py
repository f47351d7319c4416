"""Who may supervise a tenant's contact center: its administrators and its supervisors.

A supervisor (role `supervisor`, issue 16) runs the floor: it reads the tenant's campaigns and
recordings, starts and pauses campaigns, refocuses them and assigns agents and agent groups,
but does not create, reconfigure or delete them (that stays with tenant administrators). Agents
and plain users are refused with 403; another tenant's objects stay 404 through the scope.
"""

from __future__ import annotations

from centrex.api.auth import Principal
from centrex.data.models import Role
from centrex.errors import Forbidden

# what a supervisor may change on a campaign (PATCH): who takes its calls
ASSIGNMENT_FIELDS = frozenset({"agents", "groups"})


def may_supervise(principal: Principal) -> bool:
    return principal.is_tenant_admin or principal.role is Role.SUPERVISOR


def require_supervisor(principal: Principal) -> None:
    if not may_supervise(principal):
        raise Forbidden("only a tenant administrator or a supervisor may do this")


def require_campaign_change(principal: Principal, fields: set[str]) -> None:
    """A supervisor may only (re)assign agents and groups; administrators change anything."""
    require_supervisor(principal)
    if not principal.is_tenant_admin and not fields <= ASSIGNMENT_FIELDS:
        raise Forbidden(
            "a supervisor may only assign agents and groups to a campaign",
            error_id="campaign-supervisor-assignment-only",
        )

"""All tables. Importing this package registers every model on `Base.metadata` (Alembic needs it).

Later domains add their module here (billing, registrar bindings, auth tokens, ...).
"""

from centrex.data.models.auth import ApiToken, IdempotencyRecord, PortalSession, Role, StaffAccount
from centrex.data.models.base import Base, IdMixin, TenantOwned, UtcDateTime
from centrex.data.models.cdr import Cdr, CdrLeg, Direction, Disposition, HangupSide
from centrex.data.models.registrar import RegistrarBinding
from centrex.data.models.telephony import (
    Extension,
    Number,
    NumberRange,
    NumberState,
    OutboundRoute,
    OutboundRouteTrunk,
    SipCredential,
    Trunk,
    TrunkTransport,
)
from centrex.data.models.tenancy import (
    ContactKind,
    Currency,
    Language,
    Partner,
    Tenant,
    TenantContact,
    TenantStatus,
    TenantStatusChange,
    User,
    UserRole,
)

__all__ = [
    "ApiToken",
    "Base",
    "Cdr",
    "CdrLeg",
    "ContactKind",
    "Currency",
    "Direction",
    "Disposition",
    "Extension",
    "HangupSide",
    "IdMixin",
    "IdempotencyRecord",
    "Language",
    "Number",
    "NumberRange",
    "NumberState",
    "OutboundRoute",
    "OutboundRouteTrunk",
    "Partner",
    "PortalSession",
    "Role",
    "RegistrarBinding",
    "SipCredential",
    "StaffAccount",
    "Tenant",
    "TenantContact",
    "TenantOwned",
    "TenantStatus",
    "TenantStatusChange",
    "Trunk",
    "TrunkTransport",
    "User",
    "UserRole",
    "UtcDateTime",
]

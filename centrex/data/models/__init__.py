"""All tables. Importing this package registers every model on `Base.metadata` (Alembic needs it).

Later domains add their module here (billing, registrar bindings, auth tokens, ...).
"""

from centrex.data.models.agent_log import AgentStateLog as AgentStateLog
from centrex.data.models.agent_sessions import AgentSession
from centrex.data.models.appointments import Appointment as Appointment
from centrex.data.models.appointments import CampaignCalendar as CampaignCalendar
from centrex.data.models.apps import (
    AttachmentFormat,
    CallFlow,
    CallRecording,
    FlowBinding,
    GreetingKind,
    MailOutboxEntry,
    MediaFile,
    MediaKind,
    OutboxStatus,
    VoicemailBox,
    VoicemailMessage,
)
from centrex.data.models.auth import ApiToken, IdempotencyRecord, PortalSession, Role, StaffAccount
from centrex.data.models.base import Base, IdMixin, TenantOwned, UtcDateTime
from centrex.data.models.billing import (
    BillingPlan,
    CreditNoteRecord,
    DocumentSequence,
    DunningActionRecord,
    IncidentRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    RateDeckRecord,
    RateRecord,
    TenantContract,
)
from centrex.data.models.callbacks import CallbackStatus, ScheduledCallback
from centrex.data.models.cdr import Cdr, CdrLeg, Direction, Disposition, HangupSide
from centrex.data.models.conferences import Conference
from centrex.data.models.contact_center import (
    Campaign,
    CampaignAgent,
    CampaignAgentGroup,
    CampaignAgentTime,
    CampaignStatus,
    DialMethod,
    DncEntry,
    Lead,
    LeadAttempt,
    LeadBatch,
    LeadStatus,
)
from centrex.data.models.dispositions import LeadDisposition
from centrex.data.models.feature_codes import CallerIdRule, FeatureCodeChoice, ShortNumber
from centrex.data.models.mail_templates import CampaignMailSettings as CampaignMailSettings
from centrex.data.models.mail_templates import DocumentTemplate as DocumentTemplate
from centrex.data.models.mail_templates import MailTemplate as MailTemplate
from centrex.data.models.national_dnc import NationalDncList, NationalDncNumber
from centrex.data.models.phone import PhoneCredential
from centrex.data.models.prepaid import CreditLedgerEntry as CreditLedgerEntry
from centrex.data.models.prepaid import CreditReservation as CreditReservation
from centrex.data.models.queues import (
    AgentEvent,
    AgentMode,
    AgentStateRecord,
    CallQueue,
    PauseReason,
    QueueCall,
    QueueMember,
    QueueOutcome,
    QueueStrategy,
)
from centrex.data.models.registrar import RegistrarBinding
from centrex.data.models.ring_groups import RingGroup, RingGroupMember, RingStrategy
from centrex.data.models.screening import ScreeningEntry
from centrex.data.models.scripts import CampaignScript as CampaignScript
from centrex.data.models.scripts import LeadAnswer as LeadAnswer
from centrex.data.models.scripts import Script as Script
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
    DigestPolicy,
    Language,
    Partner,
    RecordingLayout,
    RecordingMode,
    Tenant,
    TenantContact,
    TenantStatus,
    TenantStatusChange,
    User,
    UserRole,
)

__all__ = [
    "AgentEvent",
    "AgentMode",
    "AgentSession",
    "AgentStateRecord",
    "ApiToken",
    "AttachmentFormat",
    "Base",
    "BillingPlan",
    "CallFlow",
    "CallQueue",
    "CallRecording",
    "CallbackStatus",
    "CallerIdRule",
    "Campaign",
    "CampaignAgent",
    "CampaignAgentGroup",
    "CampaignAgentTime",
    "CampaignStatus",
    "Cdr",
    "CdrLeg",
    "Conference",
    "ContactKind",
    "CreditNoteRecord",
    "Currency",
    "DialMethod",
    "DigestPolicy",
    "Direction",
    "Disposition",
    "DncEntry",
    "DocumentSequence",
    "DunningActionRecord",
    "Extension",
    "FeatureCodeChoice",
    "FlowBinding",
    "GreetingKind",
    "HangupSide",
    "IdMixin",
    "IdempotencyRecord",
    "IncidentRecord",
    "InvoiceLineRecord",
    "InvoiceRecord",
    "Language",
    "Lead",
    "LeadAttempt",
    "LeadBatch",
    "LeadDisposition",
    "LeadStatus",
    "MailOutboxEntry",
    "MediaFile",
    "MediaKind",
    "NationalDncList",
    "NationalDncNumber",
    "Number",
    "NumberRange",
    "NumberState",
    "OutboundRoute",
    "OutboundRouteTrunk",
    "OutboxStatus",
    "Partner",
    "PauseReason",
    "PhoneCredential",
    "PortalSession",
    "QueueCall",
    "QueueMember",
    "QueueOutcome",
    "QueueStrategy",
    "RateDeckRecord",
    "RateRecord",
    "RecordingLayout",
    "RecordingMode",
    "RegistrarBinding",
    "RingGroup",
    "RingGroupMember",
    "RingStrategy",
    "Role",
    "ScheduledCallback",
    "ScreeningEntry",
    "ShortNumber",
    "SipCredential",
    "StaffAccount",
    "Tenant",
    "TenantContact",
    "TenantContract",
    "TenantOwned",
    "TenantStatus",
    "TenantStatusChange",
    "Trunk",
    "TrunkTransport",
    "User",
    "UserRole",
    "UtcDateTime",
    "VoicemailBox",
    "VoicemailMessage",
]

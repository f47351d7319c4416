"""Voicemail: the caller side (`VoicemailApp`) and the owner's menu (`VoicemailMenu`).

Both are driven by an `AppChannel` and get their dependencies in `VoicemailServices`.
"""

from centrex.apps.voicemail.deposit import DepositResult, VoicemailApp
from centrex.apps.voicemail.menu import VoicemailMenu
from centrex.apps.voicemail.services import VoicemailServices, send_voicemail_email

__all__ = [
    "DepositResult",
    "VoicemailApp",
    "VoicemailMenu",
    "VoicemailServices",
    "send_voicemail_email",
]

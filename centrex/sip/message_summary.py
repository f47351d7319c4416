"""The RFC 3842 `application/simple-message-summary` body: parse/serialize pair (pure).

The body a NOTIFY of the message-summary event package carries (RFC 3842 §5.2): whether
messages are waiting, the account they are for, and new/old (urgent new/old) counts per message
class. It is a SIP wire format, so it lives with the SIP core; the voicemail builds it through
`centrex.provisioning.voicemail.mwi_body` and the call layer sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CONTENT_TYPE = "application/simple-message-summary"
EVENT_PACKAGE = "message-summary"

_VOICE = re.compile(r"\s*(\d+)/(\d+)(?:\s*\((\d+)/(\d+)\))?\s*")


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """Counts for one mailbox. RFC 3842 §5.2: new/old, and urgent new/old in parentheses."""

    new: int
    old: int
    urgent_new: int = 0
    urgent_old: int = 0
    account: str | None = None

    @property
    def waiting(self) -> bool:
        """RFC 3842 §5.2: "Messages-Waiting: yes" iff there is at least one new message."""
        return self.new > 0


def simple_message_summary(summary: MessageSummary) -> str:
    """Serialize the body (RFC 3842 §5.2), CRLF line endings.

    Example: "Messages-Waiting: yes\\r\\nMessage-Account: sip:101@acme.example\\r\\n
    Voice-Message: 2/8 (0/2)\\r\\n".
    """
    for value in (summary.new, summary.old, summary.urgent_new, summary.urgent_old):
        if value < 0:
            raise ValueError("message counts cannot be negative")
    lines = [f"Messages-Waiting: {'yes' if summary.waiting else 'no'}"]
    if summary.account:
        lines.append(f"Message-Account: {summary.account}")
    lines.append(
        f"Voice-Message: {summary.new}/{summary.old} ({summary.urgent_new}/{summary.urgent_old})"
    )
    return "\r\n".join(lines) + "\r\n"


class MwiParseError(ValueError):
    """A body that is not a valid simple-message-summary."""


def parse_simple_message_summary(body: str) -> MessageSummary:
    """Parse a body (RFC 3842 §5.2); header names are case-insensitive, other classes ignored."""
    waiting: bool | None = None
    account: str | None = None
    counts = (0, 0, 0, 0)
    for line in body.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise MwiParseError(f"not a header line: {line!r}")
        key = name.strip().lower()
        if key == "messages-waiting":
            if value.strip().lower() not in ("yes", "no"):
                raise MwiParseError("Messages-Waiting must be yes or no")
            waiting = value.strip().lower() == "yes"
        elif key == "message-account":
            account = value.strip()
        elif key == "voice-message":
            match = _VOICE.fullmatch(value)
            if match is None:
                raise MwiParseError(f"bad Voice-Message value {value.strip()!r}")
            counts = tuple(int(g) if g is not None else 0 for g in match.groups())  # type: ignore[assignment]
    if waiting is None:
        raise MwiParseError("Messages-Waiting is required")
    summary = MessageSummary(*counts, account=account)
    if summary.waiting != waiting:
        raise MwiParseError("Messages-Waiting contradicts the Voice-Message counts")
    return summary

"""The RFC 4235 `application/dialog-info+xml` body: build/parse pair (pure).

A NOTIFY of the `dialog` event package (RFC 4235 §4) tells a subscribed phone the dialogs of
the extension it watches, so it lights a busy-lamp key: no dialog → idle, `early` → ringing
(blinking), `confirmed` → busy. Each document carries a `version` that increases by one per
NOTIFY of the subscription (§4.1.2) and `state="full"` (we always send the whole state, which
every phone understands; partial notifications are optional). Ids and identities are escaped by
the XML serializer, so a display name cannot inject markup.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

CONTENT_TYPE = "application/dialog-info+xml"
EVENT_PACKAGE = "dialog"
NAMESPACE = "urn:ietf:params:xml:ns:dialog-info"
STATES = frozenset({"trying", "proceeding", "early", "confirmed", "terminated"})


@dataclass(frozen=True, slots=True)
class DialogEntry:
    """One dialog of the watched entity (§4.1.6)."""

    id: str
    call_id: str
    state: str  # trying, proceeding, early, confirmed, terminated
    initiator: bool  # direction="initiator" (it placed the call) or "recipient"
    remote: str | None = None  # the other party's identity URI, when shown


def dialog_info(entity: str, version: int, dialogs: Sequence[DialogEntry]) -> bytes:
    """Serialize a full-state dialog-info document (RFC 4235 §4.1)."""
    if version < 0:
        raise ValueError("dialog-info version must be >= 0")
    root = ET.Element(
        "dialog-info",
        {"xmlns": NAMESPACE, "version": str(version), "state": "full", "entity": entity},
    )
    for entry in dialogs:
        if entry.state not in STATES:
            raise ValueError(f"unknown dialog state {entry.state!r}")
        dialog = ET.SubElement(
            root,
            "dialog",
            {
                "id": entry.id,
                "call-id": entry.call_id,
                "direction": "initiator" if entry.initiator else "recipient",
            },
        )
        ET.SubElement(dialog, "state").text = entry.state
        if entry.remote:
            remote = ET.SubElement(dialog, "remote")
            ET.SubElement(remote, "identity").text = entry.remote
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


@dataclass(frozen=True, slots=True)
class DialogInfo:
    entity: str
    version: int
    state: str
    dialogs: tuple[DialogEntry, ...]


def parse_dialog_info(body: bytes) -> DialogInfo:
    """Parse a dialog-info document (what phones receive; used to check ours)."""
    try:
        root = ET.fromstring(body)  # noqa: S314 - our own documents, never network input
    except ET.ParseError as exc:
        raise ValueError(f"not a dialog-info document: {exc}") from exc
    ns = f"{{{NAMESPACE}}}"
    if root.tag != f"{ns}dialog-info":
        raise ValueError(f"not a dialog-info document: root {root.tag}")
    entries = []
    for dialog in root.findall(f"{ns}dialog"):
        state = dialog.findtext(f"{ns}state") or ""
        remote = dialog.findtext(f"{ns}remote/{ns}identity")
        entries.append(
            DialogEntry(
                dialog.get("id", ""),
                dialog.get("call-id", ""),
                state,
                dialog.get("direction") == "initiator",
                remote,
            )
        )
    return DialogInfo(
        root.get("entity", ""), int(root.get("version", "-1")), root.get("state", ""),
        tuple(entries),
    )  # fmt: skip

"""RFC 4235 dialog-info bodies: fields, round trip, escaping, errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.sip.dialog_info import DialogEntry, dialog_info, parse_dialog_info

IDLE = (
    b"<?xml version='1.0' encoding='utf-8'?>\n"
    b'<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full" '
    b'entity="sip:102@acme.example.com" />'
)


def test_an_idle_extension_is_an_empty_full_document() -> None:
    assert dialog_info("sip:102@acme.example.com", 0, []) == IDLE


def test_a_ringing_and_a_confirmed_dialog() -> None:
    body = dialog_info(
        "sip:102@acme.example.com",
        7,
        [
            DialogEntry("d1", "c1@host", "early", False, "sip:101@acme.example.com"),
            DialogEntry("d2", "c2@host", "confirmed", True),
        ],
    )
    assert b'version="7"' in body
    assert b'<dialog id="d1" call-id="c1@host" direction="recipient"><state>early</state>' in body
    assert b"<remote><identity>sip:101@acme.example.com</identity></remote>" in body
    assert b'direction="initiator"><state>confirmed</state></dialog>' in body
    parsed = parse_dialog_info(body)
    assert parsed.version == 7
    assert parsed.state == "full"
    assert [(d.state, d.initiator) for d in parsed.dialogs] == [("early", False),
                                                                  ("confirmed", True)]  # fmt: skip


def test_markup_in_an_identity_is_escaped() -> None:
    body = dialog_info("sip:1@x", 1, [DialogEntry("d", "c", "early", False, 'a"<b>&')])
    assert b"<b>" not in body
    assert parse_dialog_info(body).dialogs[0].remote == 'a"<b>&'


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dialog state"):
        dialog_info("sip:1@x", 0, [DialogEntry("d", "c", "ringing", False)])
    with pytest.raises(ValueError, match="version"):
        dialog_info("sip:1@x", -1, [])
    with pytest.raises(ValueError, match="not a dialog-info document"):
        parse_dialog_info(b"<presence/>")
    with pytest.raises(ValueError, match="not a dialog-info document"):
        parse_dialog_info(b"<dialog-info")


@given(
    st.integers(min_value=0, max_value=2**31),
    st.lists(
        st.tuples(
            st.text(min_size=1, max_size=20).filter(lambda t: t.isprintable()),
            st.sampled_from(["trying", "early", "confirmed", "terminated"]),
            st.booleans(),
        ),
        max_size=5,
    ),
)
def test_round_trip(version: int, raw: list[tuple[str, str, bool]]) -> None:
    entries = [DialogEntry(f"d{i}", cid, state, init) for i, (cid, state, init) in enumerate(raw)]
    parsed = parse_dialog_info(dialog_info("sip:102@x", version, entries))
    assert parsed.version == version
    assert [(d.call_id, d.state, d.initiator) for d in parsed.dialogs] == raw

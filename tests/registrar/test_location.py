"""The pure location service: §10.3 steps 6-8 with an explicit clock (no database, no sockets)."""

from __future__ import annotations

import dataclasses

import pytest

from centrex.registrar.location import (
    MAX_CONTACTS_PER_AOR,
    ExpiryPolicy,
    Location,
    RegisterRequest,
)
from centrex.registrar.security import AuthFailureTracker
from centrex.sip.errors import SipError
from centrex.sip.headers import parse_contact

NOW = 1_800_000_000.0


def req(
    *contacts: str,
    expires: int | None = None,
    call_id: str = "call-1",
    cseq: int = 1,
    user: str = "101",
) -> RegisterRequest:
    return RegisterRequest(
        tenant_id=1,
        user=user,
        aor=f"sip:{user}@acme.test",
        contacts=tuple(parse_contact(c) for c in contacts),
        expires_header=expires,
        call_id=call_id,
        cseq=cseq,
        source=("192.0.2.10", 5070),
        transport="UDP",
        user_agent="phone/1.0",
    )


@pytest.fixture
def location() -> Location:
    return Location(ExpiryPolicy(default=3600, minimum=60, maximum=7200))


def test_binding_with_default_header_and_parameter_expiry(location: Location) -> None:
    location.apply(req("<sip:a@192.0.2.10:5070>"), NOW)
    location.apply(req("<sip:b@192.0.2.11>", expires=120, call_id="c2"), NOW)
    location.apply(req("<sip:c@192.0.2.12>;expires=300", expires=120, call_id="c3"), NOW)
    got = {b.contact: b.remaining(NOW) for b in location.lookup(1, "101", NOW)}
    assert got == {"sip:a@192.0.2.10:5070": 3600, "sip:b@192.0.2.11": 120, "sip:c@192.0.2.12": 300}


def test_expiry_is_capped_and_too_brief_is_423(location: Location) -> None:
    (binding,) = location.apply(req("<sip:a@h>", expires=999_999), NOW).written
    assert binding.remaining(NOW) == 7200
    with pytest.raises(SipError) as caught:
        location.apply(req("<sip:b@h>", expires=30, call_id="other"), NOW)
    assert caught.value.status == 423
    assert ("Min-Expires", "60") in caught.value.headers
    assert [b.contact for b in location.lookup(1, "101", NOW)] == ["sip:a@h"]


def test_several_contacts_ordered_by_q(location: Location) -> None:
    location.apply(req("<sip:low@h>;q=0.1", "<sip:high@h>;q=0.9", "<sip:none@h>"), NOW)
    assert [b.contact for b in location.lookup(1, "101", NOW)] == [
        "sip:none@h",
        "sip:high@h",
        "sip:low@h",
    ]
    header = location.lookup(1, "101", NOW)[1].contact_header(NOW)
    assert header == "<sip:high@h>;expires=3600;q=0.9"


def test_refresh_needs_new_call_id_or_higher_cseq(location: Location) -> None:
    location.apply(req("<sip:a@h>", cseq=5), NOW)
    with pytest.raises(SipError) as caught:
        location.apply(req("<sip:a@h>", cseq=5, expires=60), NOW + 1)
    assert caught.value.status == 500
    with pytest.raises(SipError):
        location.apply(req("<sip:a@h>", cseq=4), NOW + 1)
    (binding,) = location.apply(req("<sip:a@h>", cseq=6, expires=100), NOW + 1).written
    assert binding.remaining(NOW + 1) == 100
    # a new Call-ID (phone rebooted) may start again from CSeq 1 (§10.3 step 7)
    (binding,) = location.apply(req("<sip:a@h>", call_id="new", cseq=1), NOW + 2).written
    assert binding.call_id == "new"
    assert len(location.lookup(1, "101", NOW + 2)) == 1


def test_failed_request_changes_nothing(location: Location) -> None:
    location.apply(req("<sip:a@h>", cseq=5), NOW)
    with pytest.raises(SipError):
        location.apply(req("<sip:new@h>", "<sip:a@h>", cseq=3), NOW)
    assert [b.contact for b in location.lookup(1, "101", NOW)] == ["sip:a@h"]


def test_expires_zero_removes_one_contact(location: Location) -> None:
    location.apply(req("<sip:a@h>", "<sip:b@h>"), NOW)
    change = location.apply(req("<sip:a@h>;expires=0", cseq=2), NOW)
    assert [b.contact for b in change.removed] == ["sip:a@h"]
    assert [b.contact for b in location.lookup(1, "101", NOW)] == ["sip:b@h"]


def test_wildcard_removes_all_and_needs_expires_zero(location: Location) -> None:
    location.apply(req("<sip:a@h>", "<sip:b@h>"), NOW)
    with pytest.raises(SipError) as caught:
        location.apply(req("*", cseq=2), NOW)
    assert caught.value.status == 400
    with pytest.raises(SipError):
        location.apply(req("*", "<sip:a@h>", expires=0, cseq=2), NOW)
    change = location.apply(req("*", expires=0, cseq=2), NOW)
    assert len(change.removed) == 2
    assert location.lookup(1, "101", NOW) == []
    assert len(location) == 0


def test_wildcard_obeys_cseq_ordering(location: Location) -> None:
    location.apply(req("<sip:a@h>", cseq=9), NOW)
    with pytest.raises(SipError):
        location.apply(req("*", expires=0, cseq=9), NOW)
    assert len(location.lookup(1, "101", NOW)) == 1


def test_transport_parameter_distinguishes_contacts(location: Location) -> None:
    location.apply(req("<sip:a@h;transport=tcp>", "<sip:a@h;transport=udp>"), NOW)
    assert len(location.lookup(1, "101", NOW)) == 2
    location.apply(req("<sip:a@h;transport=tcp;ob>", cseq=2, expires=90), NOW)
    assert sorted(b.remaining(NOW) for b in location.lookup(1, "101", NOW)) == [90, 3600]


def test_expiry_sweep(location: Location) -> None:
    location.apply(req("<sip:a@h>", expires=60), NOW)
    location.apply(req("<sip:b@h>", expires=600, user="102"), NOW)
    assert location.expire(NOW + 59) == []
    assert location.lookup(1, "101", NOW + 60) == []  # not live, even before the sweep
    gone = location.expire(NOW + 60)
    assert [b.contact for b in gone] == ["sip:a@h"]
    assert [b.user for b in location.bindings()] == ["102"]


def test_contacts_per_aor_are_bounded(location: Location) -> None:
    for index in range(MAX_CONTACTS_PER_AOR + 3):
        location.apply(req(f"<sip:c{index}@h>", call_id=f"c{index}", expires=100 + index), NOW)
    contacts = {b.contact for b in location.lookup(1, "101", NOW)}
    assert len(contacts) == MAX_CONTACTS_PER_AOR
    assert "sip:c0@h" not in contacts
    assert f"sip:c{MAX_CONTACTS_PER_AOR + 2}@h" in contacts


def test_tenants_are_separate(location: Location) -> None:
    location.apply(req("<sip:a@h>"), NOW)
    location.apply(dataclasses.replace(req("<sip:z@h>"), tenant_id=2), NOW)
    assert [b.contact for b in location.lookup(1, "101", NOW)] == ["sip:a@h"]
    assert [b.contact for b in location.lookup(2, "101", NOW)] == ["sip:z@h"]
    assert [b.tenant_id for b in location.bindings(2)] == [2]


def test_to_dict_has_the_cli_fields(location: Location) -> None:
    (binding,) = location.apply(req("<sip:a@h>", expires=120), NOW).written
    data = binding.to_dict(NOW)
    assert data["aor"] == "sip:101@acme.test"
    assert data["source"] == "192.0.2.10:5070"
    assert data["transport"] == "UDP"
    assert data["user_agent"] == "phone/1.0"
    assert data["expires_in"] == 120
    assert str(data["expires_at"]).endswith("+00:00")


def test_ban_after_n_failures_in_window() -> None:
    tracker = AuthFailureTracker(failures=3, window=60.0, ban_seconds=600.0)
    assert not tracker.record_failure("192.0.2.1", 0.0, "wrong password")
    assert not tracker.record_failure("192.0.2.1", 10.0, "wrong password")
    assert not tracker.is_banned("192.0.2.1", 10.0)
    # failures older than the window do not count
    assert not tracker.record_failure("192.0.2.1", 65.0, "wrong password")
    assert tracker.record_failure("192.0.2.1", 66.0, "wrong password")
    assert tracker.is_banned("192.0.2.1", 66.0)
    assert not tracker.is_banned("192.0.2.2", 66.0)
    assert tracker.banned(100.0) == {"192.0.2.1": 566.0}
    assert tracker.is_banned("192.0.2.1", 665.0)
    assert not tracker.is_banned("192.0.2.1", 666.0)

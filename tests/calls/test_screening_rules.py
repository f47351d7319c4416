"""The pure screening rules (calls/features/screening_rules.py): patterns, block/allow
decisions, anonymous callers, barring classes and premium numbers — no sockets, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from centrex.calls.features.screening_rules import (
    ANONYMOUS,
    PASS,
    ListKind,
    OutboundClass,
    Rule,
    ScreenAction,
    ScreenDirection,
    barred,
    caller_number,
    check_pattern,
    is_premium,
    matches,
    screen,
)
from centrex.errors import ValidationFailed

IN, OUT = ScreenDirection.INBOUND, ScreenDirection.OUTBOUND
BLOCK, ALLOW = ListKind.BLOCK, ListKind.ALLOW
REJECT, VOICEMAIL = ScreenAction.REJECT, ScreenAction.VOICEMAIL


def rule(kind: ListKind, pattern: str, direction: ScreenDirection = IN, extension: str | None = None,
         action: ScreenAction = REJECT) -> Rule:  # fmt: skip
    return Rule(kind, direction, pattern, extension, action)


# ---- patterns ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("+41797770000", "+41797770000"),
        ("079 777 00 00", "+41797770000"),  # national, the tenant's country
        ("+3389*", "+3389*"),
        ("anonymous", ANONYMOUS),
        ("Anonymous", ANONYMOUS),
    ],
)
def test_patterns_are_stored_normalised(text: str, stored: str) -> None:
    assert check_pattern(text, IN, "CH") == stored


@pytest.mark.parametrize("text", ["", "*", "+*", "3389*", "+33a9*", "+0*", "12", "hello",
                                  "+4179777000000000000*", "+41 79 777"])  # fmt: skip
def test_bad_patterns_are_refused_with_their_error_id(text: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_pattern(text, IN, "CH")
    assert raised.value.error_id == "screening-bad-pattern"


def test_anonymous_is_for_inbound_only() -> None:
    with pytest.raises(ValidationFailed, match="inbound callers only"):
        check_pattern("anonymous", OUT, "CH")


def test_matching() -> None:
    assert matches("+3389*", "+33890123456")
    assert not matches("+3389*", "+33190123456")
    assert matches("+41797770000", "+41797770000")
    assert not matches("+41797770000", "+417977700001")
    assert matches(ANONYMOUS, None)
    assert not matches(ANONYMOUS, "+41797770000")
    assert not matches("+3389*", None)


@pytest.mark.parametrize(
    ("user", "host", "privacy", "expected"),
    [
        ("+41797770000", "carrier", None, "+41797770000"),
        ("0797770000", "carrier", None, "+41797770000"),
        ("anonymous", "carrier", None, None),
        ("+41797770000", "anonymous.invalid", None, None),
        ("+41797770000", "carrier", "id", None),
        ("+41797770000", "carrier", "header; id", None),
        ("+41797770000", "carrier", "none", "+41797770000"),
        (None, "carrier", None, None),
        ("restricted-x", "carrier", None, "restricted-x"),
    ],
)
def test_the_inbound_callers_identity(user: str | None, host: str, privacy: str | None,
                                      expected: str | None) -> None:  # fmt: skip
    assert caller_number(user, host, privacy, "CH") == expected


# ---- decisions -----------------------------------------------------------------------------
def test_a_blocked_number_is_refused_with_the_entrys_action() -> None:
    rules = [rule(BLOCK, "+41797770000", action=VOICEMAIL)]
    verdict = screen(rules, IN, "+41797770000", "101")
    assert not verdict.allowed
    assert verdict.action is VOICEMAIL
    assert "blocklist" in verdict.reason
    assert screen(rules, IN, "+41797770001", "101") is PASS


def test_an_entry_of_another_extension_or_direction_does_not_apply() -> None:
    rules = [rule(BLOCK, "+3389*", extension="102"), rule(BLOCK, "+3389*", direction=OUT)]
    assert screen(rules, IN, "+33890123456", "101").allowed
    assert not screen(rules, IN, "+33890123456", "102").allowed
    assert not screen(rules, OUT, "+33890123456", "101").allowed


def test_the_most_specific_blocklist_entry_decides_the_action() -> None:
    rules = [rule(BLOCK, "+33*", action=REJECT), rule(BLOCK, "+3389*", action=VOICEMAIL),
             rule(BLOCK, "+33890123456", extension="101", action=REJECT)]  # fmt: skip
    assert screen(rules, IN, "+33890000000", "102").action is VOICEMAIL
    assert screen(rules, IN, "+33100000000", "102").action is REJECT
    assert screen(rules, IN, "+33890123456", "101").action is REJECT


def test_an_allowlist_lets_only_its_numbers_pass() -> None:
    rules = [rule(ALLOW, "+4144*"), rule(ALLOW, "+41797770000")]
    assert screen(rules, IN, "+41446681800", "101").allowed
    assert screen(rules, IN, "+41797770000", "101").allowed
    refused = screen(rules, IN, "+41797770001", "101")
    assert not refused.allowed
    assert refused.action is REJECT
    assert "allowlist" in refused.reason
    assert not screen(rules, IN, None, "101").allowed  # anonymous is on no allowlist here


def test_an_extensions_allowlist_applies_to_that_extension_only() -> None:
    rules = [rule(ALLOW, "+4144*", direction=OUT, extension="103")]
    assert not screen(rules, OUT, "+33140000000", "103").allowed
    assert screen(rules, OUT, "+33140000000", "101").allowed


def test_block_wins_over_allow() -> None:
    rules = [rule(ALLOW, "+41*"), rule(BLOCK, "+41797770000")]
    assert not screen(rules, IN, "+41797770000", "101").allowed
    assert screen(rules, IN, "+41797770001", "101").allowed


def test_an_allowlist_of_voicemail_entries_sends_strangers_to_voicemail() -> None:
    only_vm = [rule(ALLOW, "+4144*", action=VOICEMAIL)]
    mixed = [*only_vm, rule(ALLOW, "+4179*", action=REJECT)]
    assert screen(only_vm, IN, "+33100000000", "101").action is VOICEMAIL
    assert screen(mixed, IN, "+33100000000", "101").action is REJECT


def test_anonymous_callers() -> None:
    assert not screen([rule(BLOCK, ANONYMOUS)], IN, None, "101").allowed
    assert screen([rule(BLOCK, ANONYMOUS)], IN, "+41797770000", "101").allowed
    assert screen([rule(ALLOW, ANONYMOUS)], IN, None, "101").allowed


numbers = st.from_regex(r"\+[1-9][0-9]{6,11}", fullmatch=True) | st.none()
patterns = st.from_regex(r"\+[1-9][0-9]{0,5}\*", fullmatch=True) | numbers.map(
    lambda n: n or ANONYMOUS
)
rules_st = st.lists(
    st.builds(
        Rule,
        st.sampled_from(ListKind),
        st.sampled_from(ScreenDirection),
        patterns,
        st.sampled_from([None, "101", "102"]),
        st.sampled_from(ScreenAction),
    ),
    max_size=8,
)


@given(rules_st, numbers, st.sampled_from(ScreenDirection), st.sampled_from(["101", "102"]))
def test_screening_laws(rules: list[Rule], number: str | None, direction: ScreenDirection,
                        extension: str) -> None:  # fmt: skip
    verdict = screen(rules, direction, number, extension)
    applying = [r for r in rules if r.direction is direction and r.extension in (None, extension)]
    blocked = any(r.kind is BLOCK and matches(r.pattern, number) for r in applying)
    allows = [r for r in applying if r.kind is ALLOW]
    expected = not blocked and (not allows or any(matches(r.pattern, number) for r in allows))
    assert verdict.allowed is expected
    # rules of other extensions or the other direction never change the verdict
    assert screen(applying, direction, number, extension) == verdict
    assert screen([], direction, number, extension) is PASS


# ---- barring -------------------------------------------------------------------------------
NATIONAL, FOREIGN, GLOBAL = "+41446681800", "+33140000000", "+80012345678"
PREMIUM, SHARED = "+41900123456", "+41848123456"


@pytest.mark.parametrize(
    ("outbound", "number", "refused"),
    [
        (OutboundClass.INTERNAL, NATIONAL, "outside calls"),
        (OutboundClass.NATIONAL, NATIONAL, None),
        (OutboundClass.NATIONAL, FOREIGN, "international"),
        (OutboundClass.NATIONAL, GLOBAL, "international"),
        (OutboundClass.INTERNATIONAL, FOREIGN, None),
        (OutboundClass.INTERNATIONAL, GLOBAL, "global services"),
        (OutboundClass.ALL, GLOBAL, None),
        (OutboundClass.ALL, PREMIUM, "premium"),
        (OutboundClass.ALL, SHARED, "premium"),
        (OutboundClass.NATIONAL, "+33890123456", "international"),
    ],
)
def test_barring_classes(outbound: OutboundClass, number: str, refused: str | None) -> None:
    reason = barred(outbound, False, number, "CH")
    if refused is None:
        assert reason is None
    else:
        assert reason is not None
        assert refused in reason


def test_premium_on_lets_premium_numbers_through_the_class() -> None:
    assert barred(OutboundClass.ALL, True, PREMIUM, "CH") is None
    assert barred(OutboundClass.NATIONAL, True, PREMIUM, "CH") is None
    assert barred(OutboundClass.NATIONAL, True, "+33890123456", "CH") is not None
    assert is_premium(PREMIUM)
    assert is_premium(SHARED)
    assert not is_premium(NATIONAL)

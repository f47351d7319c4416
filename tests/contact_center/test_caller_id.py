"""Local-presence caller ID (contact_center/caller_id.py): longest shared prefix, the country
minimum, ties, the default, and fixed numbers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from centrex.contact_center.caller_id import caller_id_for, country_code_length, local_caller_id

PARIS, MARSEILLE, LYON = "+33142685300", "+33491000000", "+33478000000"
ZURICH, MAIN = "+41445550000", "+41215550100"
NUMBERS = [PARIS, MARSEILLE, ZURICH, MAIN]


def test_the_number_sharing_the_longest_prefix_wins() -> None:
    assert local_caller_id("+33144556677", NUMBERS, MAIN) == PARIS  # 01 for 01
    assert local_caller_id("+33491123456", NUMBERS, MAIN) == MARSEILLE  # 04 91 for 04 91
    assert local_caller_id("+41445550999", NUMBERS, MAIN) == ZURICH


def test_same_country_beats_the_default_and_ties_go_to_the_smallest() -> None:
    # +33 4 78 (Lyon) shares "+334" with Marseille only
    assert local_caller_id(LYON, NUMBERS, MAIN) == MARSEILLE
    # a mobile +33 6 shares just the country code with both French numbers: smallest wins
    assert local_caller_id("+33612345678", NUMBERS, MAIN) == PARIS
    # ...unless the default is among the tied ones
    assert local_caller_id("+33612345678", NUMBERS, MARSEILLE) == MARSEILLE


def test_another_country_gets_the_default() -> None:
    assert local_caller_id("+4930123456", NUMBERS, MAIN) == MAIN
    # +1 and +41 share no country code: the "4" of +49/+41 is not a shared country
    assert local_caller_id("+12125550000", NUMBERS, MAIN) == MAIN
    assert local_caller_id("+4930123456", [], None) is None


def test_policy_local_or_fixed() -> None:
    assert caller_id_for("local", "+33144556677", NUMBERS, MAIN) == PARIS
    assert caller_id_for(ZURICH, "+33144556677", NUMBERS, MAIN) == ZURICH


def test_country_code_lengths() -> None:
    assert [country_code_length(n) for n in ("+12125550000", "+33142685300", "+352123456")] == [
        1, 2, 3,
    ]  # fmt: skip


@given(st.text(alphabet="0123456789", min_size=6, max_size=12))
def test_the_choice_is_a_tenant_number_or_the_default(digits: str) -> None:
    chosen = local_caller_id("+" + digits, NUMBERS, MAIN)
    assert chosen in NUMBERS

"""Lead merge fields: built-ins, custom keys, unknown names, literal braces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from centrex.contact_center.lead_fields import (
    field_names,
    known_fields,
    lead_fields,
    merge,
    unknown_fields,
)


def test_built_ins_and_custom_keys() -> None:
    fields = lead_fields(
        number="+33612345678",
        name="Alice Martin Durand",
        postal_code="75011",
        custom={"company": "ACME", "age": 42, "empty": None},
    )
    assert fields["first_name"] == "Alice"
    assert fields["last_name"] == "Martin Durand"
    assert fields["company"] == "ACME"
    assert fields["age"] == "42"
    assert fields["empty"] == ""
    assert fields["number"] == "+33612345678"


def test_custom_first_name_wins_over_the_split_name() -> None:
    fields = lead_fields(number="1", name="Dr Bob", postal_code="", custom={"first_name": "Bob"})
    assert fields["first_name"] == "Bob"
    assert fields["last_name"] == "Bob"


def test_custom_cannot_override_the_number() -> None:
    fields = lead_fields(number="+41", name="", postal_code="", custom={"number": "+99"})
    assert fields["number"] == "+41"


def test_merge_replaces_and_keeps_literal_braces() -> None:
    text = "Hello {first_name} of {company}! {{not a field}} {missing}."
    merged = merge(text, {"first_name": "Alice", "company": "ACME"})
    assert merged == "Hello Alice of ACME! {not a field} ."


def test_unknown_fields_lists_each_once_in_order() -> None:
    text = "{company} {zzz} {first_name} {zzz} {yyy}"
    assert field_names(text) == ["company", "zzz", "first_name", "yyy"]
    assert unknown_fields(text, known_fields(["company"])) == ["zzz", "yyy"]
    assert unknown_fields("{{zzz}}", known_fields()) == []


@given(st.text())
def test_merge_never_fails_and_without_fields_only_unescapes(text: str) -> None:
    merged = merge(text, {})
    if "{" not in text and "}" not in text:
        assert merged == text

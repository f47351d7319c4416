"""Rate deck CSV import (per-line errors, all-or-nothing) and longest-prefix lookup."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from centrex.billing.decks import (
    DeckImportError,
    Increment,
    LineError,
    Rate,
    RateDeck,
    parse_deck_csv,
)

from .conftest import HEADER


def _errors(text: str) -> list[tuple[int, str]]:
    with pytest.raises(DeckImportError) as info:
        parse_deck_csv(text, "d")
    return [(e.line, e.error) for e in info.value.errors]


def test_import_parses_fields(retail: RateDeck) -> None:
    assert len(retail) == 5
    assert retail.currency == "CHF"
    rate = retail.lookup("+41791234567")
    assert rate == Rate(
        "4179",
        "Switzerland mobile Swisscom",
        Decimal("0.3000"),
        Decimal("0.10"),
        Increment(30, 6),
        "CHF",
    )


@pytest.mark.parametrize(
    ("number", "prefix"),
    [
        ("+41791234567", "4179"),
        ("+41781234567", "417"),
        ("+41441234567", "41"),
        ("41441234567", "41"),
        ("+33612345678", "336"),
        ("+33123456789", "33"),
    ],
)
def test_longest_prefix_match(retail: RateDeck, number: str, prefix: str) -> None:
    rate = retail.lookup(number)
    assert rate is not None
    assert rate.prefix == prefix


def test_lookup_miss_returns_none(retail: RateDeck) -> None:
    assert retail.lookup("+4930123456") is None
    assert retail.lookup("") is None
    assert retail.lookup("+") is None


def test_valid_from_versions_pick_the_price_valid_on_the_day() -> None:
    deck = parse_deck_csv(
        "prefix,destination,price_per_minute,connection_fee,increment,currency,valid_from\n"
        "41,CH,0.05,0,60/60,CHF,2026-01-01\n"
        "41,CH,0.04,0,60/60,CHF,2026-07-01\n"
        "4179,CH mobile,0.30,0,60/60,CHF,2026-07-01\n",
        "d",
    )
    before = deck.lookup("+41791234567", date(2026, 3, 1))
    after = deck.lookup("+41791234567", date(2026, 7, 1))
    later = deck.lookup("+41441234567", date(2026, 7, 2))
    assert before is not None
    assert after is not None
    assert later is not None
    assert (before.prefix, before.price_per_minute) == ("41", Decimal("0.05"))
    assert after.prefix == "4179"
    assert later.price_per_minute == Decimal("0.04")
    assert deck.lookup("+41441234567", date(2025, 12, 31)) is None
    assert len(deck) == 3


def test_rejections_carry_line_numbers_and_nothing_is_imported() -> None:
    text = HEADER + (
        "41,Switzerland,0.05,0,60/60,CHF\n"  # line 2 ok
        "42,Broken\n"  # 3 malformed
        "43,Austria,-0.01,0,60/60,EUR\n"  # 4 negative price
        "44,UK,0.02,0,60/60,XYZ\n"  # 5 unknown currency
        "41,Switzerland,0.06,0,60/60,CHF\n"  # 6 conflicting duplicate
        "41,Switzerland,0.05,0,60/60,CHF\n"  # 7 exact duplicate
        "4a,Bad,0.01,0,60/60,CHF\n"  # 8 bad prefix
        "45,Denmark,abc,0,60/60,CHF\n"  # 9 bad price
        "46,Sweden,0.01,0,60,CHF\n"  # 10 bad increment
        "47,Norway,0.01,0,0/6,CHF\n"  # 11 zero increment
        "48,Poland,0.01,-1,1/1,CHF\n"  # 12 negative fee
        ",Nowhere,0.01,0,1/1,CHF\n"  # 13 empty prefix
        "49,,0.01,0,1/1,CHF\n"  # 14 empty destination
        "31,NL,0.01,0,1/1,EUR\n"  # 15 second currency
        "32,BE,0.0000001,0,1/1,CHF\n"  # 16 too precise
    )
    errors = _errors(text)
    assert [line for line, _ in errors] == list(range(3, 17))
    messages = dict(errors)
    assert messages[3] == "expected 6 fields, got 2"
    assert messages[4] == "negative price_per_minute -0.01"
    assert messages[5] == "unknown currency 'XYZ'"
    assert messages[6] == "conflicting price for prefix 41 (first on line 2)"
    assert messages[7] == "duplicate prefix 41 (first on line 2)"
    assert messages[8] == "invalid prefix '4a'"
    assert messages[9] == "invalid price_per_minute 'abc'"
    assert "invalid increment '60'" in messages[10]
    assert "at least 1/1" in messages[11]
    assert messages[12] == "negative connection_fee -1"
    assert messages[13] == "invalid prefix ''"
    assert messages[14] == "empty destination"
    assert messages[15] == "currency EUR differs from deck currency CHF (line 2)"
    assert messages[16] == "price_per_minute 0.0000001 has more than 6 decimals"


def test_error_is_json_shaped_and_readable() -> None:
    with pytest.raises(DeckImportError) as info:
        parse_deck_csv(HEADER + "41,CH,x,0,1/1,CHF\n", "d")
    assert [e.as_dict() for e in info.value.errors] == [
        {"line": 2, "error": "invalid price_per_minute 'x'"}
    ]
    assert "line 2: invalid price_per_minute 'x'" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty file: header expected"),
        ("prefix,destination\n41,CH\n", "missing column(s): price_per_minute"),
        (HEADER.strip() + ",colour\n", "unknown column(s): colour"),
        (HEADER, "no rates: the file has a header only"),
    ],
)
def test_header_problems_are_line_one(text: str, message: str) -> None:
    errors = _errors(text)
    assert len(errors) == 1
    assert errors[0][0] == 1
    assert message in errors[0][1]


def test_leniencies_bom_blank_lines_plus_case_and_empty_fee() -> None:
    text = (
        "\ufeffPrefix, Destination ,price_per_minute,connection_fee,increment,currency\n"
        "\n"
        "+41,CH,0.05,,60/60,chf\n"
        "   \n"
        "33,FR,0.04,0,60/60,CHF\n"
    )
    deck = parse_deck_csv(text, "d")
    ch = deck.lookup("+41441234567")
    assert ch is not None
    assert (ch.prefix, ch.connection_fee, ch.currency) == ("41", Decimal(0), "CHF")


def test_line_numbers_count_physical_lines_after_blank_lines() -> None:
    errors = _errors(HEADER + "41,CH,0.05,0,60/60,CHF\n\n\n33,FR,-1,0,60/60,CHF\n")
    assert errors == [(5, "negative price_per_minute -1")]


def test_more_than_five_errors_are_summarised() -> None:
    text = HEADER + "".join(f"{40 + i},X,-1,0,1/1,CHF\n" for i in range(7))
    with pytest.raises(DeckImportError) as info:
        parse_deck_csv(text, "d")
    assert len(info.value.errors) == 7
    assert "(+2 more)" in str(info.value)


def test_build_rejects_duplicates_and_mixed_currency() -> None:
    a = Rate("41", "CH", Decimal("0.05"), currency="CHF")
    with pytest.raises(ValueError, match="duplicate prefix 41"):
        RateDeck.build("d", [a, a])
    with pytest.raises(ValueError, match="mixes currencies"):
        RateDeck.build("d", [a, Rate("33", "FR", Decimal("0.04"), currency="EUR")])
    with pytest.raises(ValueError, match="invalid prefix"):
        RateDeck.build("d", [Rate("+41", "CH", Decimal("0.05"))])


def test_rates_round_trip_through_build(retail: RateDeck) -> None:
    again = RateDeck.build(retail.name, retail.rates())
    assert list(again.rates()) == list(retail.rates())
    assert [r.prefix for r in retail.rates()] == ["33", "336", "41", "417", "4179"]


def test_increment_parse_and_str() -> None:
    assert Increment.parse(" 30/6 ") == Increment(30, 6)
    assert str(Increment(60, 60)) == "60/60"
    with pytest.raises(ValueError, match="invalid increment"):
        Increment.parse("a/b")


def test_line_error_dict() -> None:
    assert LineError(3, "x").as_dict() == {"line": 3, "error": "x"}


def test_csv_level_errors_are_reported_with_their_line() -> None:
    huge = "x" * 200_000  # beyond the csv module's field size limit
    text = HEADER + "41,CH,-1,0,1/1,CHF\n" + f"42,{huge},0.01,0,1/1,CHF\n"
    errors = _errors(text)
    assert errors[0] == (2, "negative price_per_minute -1")
    assert errors[1][0] == 3
    assert errors[1][1].startswith("malformed CSV: field larger than field limit")
    assert _errors("\r")[0][0] == 1  # a bare CR is a line break, the header is then missing


def test_bare_carriage_returns_end_lines() -> None:
    deck = parse_deck_csv(HEADER.replace("\n", "\r") + "41,CH,0.05,0,1/1,CHF\r", "d")
    assert len(deck) == 1

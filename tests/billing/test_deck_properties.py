"""Hypothesis properties of rate decks: the lookup equals a brute-force longest match, an
exported deck re-imports identically, and no input makes the CSV parser fail other than with a
`DeckImportError`."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from centrex.billing.decks import DeckImportError, Increment, Rate, RateDeck, parse_deck_csv

from .conftest import HEADER

prefixes = st.text(alphabet="0123456789", min_size=1, max_size=6).filter(lambda p: p[0] != "0")
rates = st.builds(
    Rate,
    prefix=prefixes,
    destination=st.text(alphabet="abcdefghij XYZ", min_size=1, max_size=12).filter(str.strip),
    price_per_minute=st.decimals(min_value=0, max_value=10, places=4),
    connection_fee=st.decimals(min_value=0, max_value=1, places=2),
    increment=st.builds(Increment, st.integers(1, 60), st.integers(1, 60)),
    currency=st.just("CHF"),
)
decks = st.lists(rates, max_size=30, unique_by=lambda r: r.prefix)
numbers = st.text(alphabet="0123456789", min_size=1, max_size=15)


@given(decks, numbers)
def test_lookup_is_the_longest_matching_prefix(rate_list: list[Rate], digits: str) -> None:
    deck = RateDeck.build("d", rate_list)
    matching = [r for r in rate_list if digits.startswith(r.prefix)]
    expected = max(matching, key=lambda r: len(r.prefix)) if matching else None
    assert deck.lookup("+" + digits) == expected
    assert deck.lookup(digits) == expected


def _csv(rate_list: list[Rate]) -> str:
    return HEADER + "".join(
        f"{r.prefix},{r.destination.strip()},{r.price_per_minute},{r.connection_fee},"
        f"{r.increment},{r.currency}\n"
        for r in rate_list
    )


@given(decks.filter(bool))
def test_export_then_import_round_trips(rate_list: list[Rate]) -> None:
    deck = parse_deck_csv(_csv(rate_list), "d")
    assert sorted(deck.rates(), key=lambda r: r.prefix) == sorted(
        (
            Rate(
                r.prefix,
                r.destination.strip(),
                r.price_per_minute,
                r.connection_fee,
                r.increment,
                r.currency,
            )
            for r in rate_list
        ),
        key=lambda r: r.prefix,
    )


def _outcome(text: str) -> RateDeck | DeckImportError:
    """The deck, or the import error: anything else escaping the parser fails the test."""
    try:
        return parse_deck_csv(text, "d")
    except DeckImportError as exc:
        return exc


@given(st.text(max_size=300))
def test_parser_never_crashes_on_garbage_rows(body: str) -> None:
    outcome = _outcome(HEADER + body)
    if isinstance(outcome, DeckImportError):
        assert outcome.errors
        assert all(e.line >= 1 for e in outcome.errors)
    else:
        assert len(outcome) >= 1
        assert all(r.price_per_minute >= Decimal(0) for r in outcome.rates())


@given(st.text(max_size=200))
def test_parser_never_crashes_on_garbage_files(text: str) -> None:
    outcome = _outcome(text)
    if isinstance(outcome, DeckImportError):
        assert outcome.errors

"""Rate decks: CSV import with a per-line error report, and longest-prefix lookup on E.164.

A deck is what a carrier sells us (wholesale cost) or what we sell a plan's customers (retail
price); rating a call against both shows the margin. Decks are large (50 000 prefixes is normal
for a wholesale carrier) and looked up once per call, so the lookup is a dict keyed by the digit
prefix, probed longest-first over the dialled digits: O(len(number)) with at most 15 dict probes,
independent of the size of the deck (see bench/rating_bench.py).

Import is all-or-nothing: any rejected line fails the whole import with every error listed by
its physical line number (the header is line 1), so an operator fixes the file once and a deck is
never half-replaced.

Deliberate leniencies (each has a test fixture in tests/billing/test_decks.py):

* a UTF-8 byte-order mark before the header is ignored (spreadsheets write one);
* blank lines are skipped;
* a leading ``+`` on a prefix is accepted and dropped (``+41`` and ``41`` are the same prefix);
* currency codes are upper-cased (``chf`` is CHF), header names are trimmed and case-folded;
* an empty connection fee means 0.

Everything else is strict: unknown columns, wrong field counts, non-ISO currencies, negative
prices, a second row for the same prefix (and valid-from date) are rejected. A deck has one
currency: a row in another currency is rejected, because a deck mixing currencies cannot be
compared to another deck to compute a margin.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from centrex.billing.money import ISO_4217, ZERO

REQUIRED_COLUMNS = (
    "prefix",
    "destination",
    "price_per_minute",
    "connection_fee",
    "increment",
    "currency",
)
OPTIONAL_COLUMNS = ("valid_from",)
MAX_PREFIX_DIGITS = 15  # ITU-T E.164: a full number has at most 15 digits
MAX_DECIMALS = 6  # what the database keeps (Numeric(16, 6)): more would be silently rounded


@dataclass(frozen=True, slots=True)
class Increment:
    """Billing increment ``first/step``: the first `first` seconds are a minimum charge, then the
    call is billed in blocks of `step` seconds (60/60, 30/6, 1/1 are the common ones)."""

    first: int
    step: int

    def __post_init__(self) -> None:
        if self.first < 1 or self.step < 1:
            raise ValueError(f"increment must be at least 1/1, got {self.first}/{self.step}")

    @classmethod
    def parse(cls, text: str) -> Increment:
        """Parse ``"30/6"``; raises ValueError with a message fit for an import report."""
        parts = text.strip().split("/")
        if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"invalid increment {text!r} (expected a/b, e.g. 60/60)")
        return cls(int(parts[0]), int(parts[1]))

    def __str__(self) -> str:
        return f"{self.first}/{self.step}"


PER_SECOND = Increment(1, 1)


@dataclass(frozen=True, slots=True)
class Rate:
    """One priced prefix of a deck. `prefix` holds digits only (country code first, no ``+``)."""

    prefix: str
    destination: str
    price_per_minute: Decimal
    connection_fee: Decimal = ZERO
    increment: Increment = PER_SECOND
    currency: str = "EUR"
    valid_from: date | None = None


@dataclass(frozen=True, slots=True)
class LineError:
    """Why one line of an import was rejected; `line` is the physical line (header = 1)."""

    line: int
    error: str

    def as_dict(self) -> dict[str, int | str]:
        """The JSON shape of the CLI report: ``{"line": 3, "error": "..."}``."""
        return {"line": self.line, "error": self.error}


class DeckImportError(ValueError):
    """A deck file was rejected; `errors` lists every bad line so it can be fixed in one go."""

    def __init__(self, errors: Iterable[LineError]) -> None:
        self.errors: tuple[LineError, ...] = tuple(sorted(errors, key=lambda e: e.line))
        summary = "; ".join(f"line {e.line}: {e.error}" for e in self.errors[:5])
        more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"rate deck rejected: {summary}{more}")


@dataclass(frozen=True, slots=True)
class RateDeck:
    """An immutable set of rates with longest-prefix lookup.

    Build it with `RateDeck.build` (validates) or `parse_deck_csv`. Several versions of one prefix
    may coexist with different `valid_from` dates (a price change announced in advance); a lookup
    on a date picks the newest version already valid on that date.
    """

    name: str
    currency: str
    _table: Mapping[str, tuple[Rate, ...]] = field(repr=False)
    _min_len: int = field(repr=False)
    _max_len: int = field(repr=False)

    @classmethod
    def build(cls, name: str, rates: Iterable[Rate]) -> RateDeck:
        """Index `rates`; ValueError on a duplicate (prefix, valid_from) or mixed currencies."""
        grouped: dict[str, list[Rate]] = {}
        currency: str | None = None
        for rate in rates:
            if not rate.prefix.isdigit() or len(rate.prefix) > MAX_PREFIX_DIGITS:
                raise ValueError(f"invalid prefix {rate.prefix!r}")
            currency = currency or rate.currency
            if rate.currency != currency:
                raise ValueError(f"deck {name!r} mixes currencies {currency} and {rate.currency}")
            versions = grouped.setdefault(rate.prefix, [])
            if any(v.valid_from == rate.valid_from for v in versions):
                raise ValueError(f"duplicate prefix {rate.prefix} valid from {rate.valid_from}")
            versions.append(rate)
        table = {
            prefix: tuple(sorted(versions, key=_version_key))
            for prefix, versions in grouped.items()
        }
        lengths = [len(p) for p in table] or [1]
        return cls(name, currency or "EUR", table, min(lengths), max(lengths))

    def __len__(self) -> int:
        return sum(len(v) for v in self._table.values())

    def rates(self) -> Iterable[Rate]:
        """Every rate (all versions), in prefix order: what the data layer stores."""
        for prefix in sorted(self._table):
            yield from self._table[prefix]

    def lookup(self, number: str, on: date | None = None) -> Rate | None:
        """Longest-prefix match of an E.164 number (``+41...`` or digits only).

        `on` selects among dated versions; None means the newest version. A prefix whose every
        version starts after `on` is skipped and the next shorter prefix is tried, so a future
        price never hides today's.
        """
        digits = number[1:] if number[:1] == "+" else number
        table = self._table
        for end in range(min(len(digits), self._max_len), self._min_len - 1, -1):
            versions = table.get(digits[:end])
            if versions is None:
                continue
            if on is None:
                return versions[-1]
            for rate in reversed(versions):
                if rate.valid_from is None or rate.valid_from <= on:
                    return rate
        return None


def _version_key(rate: Rate) -> date:
    return rate.valid_from or date.min


def _parse_amount(text: str, column: str, *, empty_is_zero: bool = False) -> Decimal:
    text = text.strip()
    if not text and empty_is_zero:
        return ZERO  # leniency: an empty connection fee means no fee
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"invalid {column} {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"invalid {column} {text!r}")
    if value < 0:
        raise ValueError(f"negative {column} {text}")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise ValueError(f"{column} {text} has more than {MAX_DECIMALS} decimals")
    return value


def _parse_row(values: Mapping[str, str]) -> Rate:
    prefix = values["prefix"].strip().removeprefix("+")
    if not prefix.isdigit() or len(prefix) > MAX_PREFIX_DIGITS:
        raise ValueError(f"invalid prefix {values['prefix'].strip()!r}")
    destination = values["destination"].strip()
    if not destination:
        raise ValueError("empty destination")
    price = _parse_amount(values["price_per_minute"], "price_per_minute")
    fee = _parse_amount(values["connection_fee"], "connection_fee", empty_is_zero=True)
    increment = Increment.parse(values["increment"])
    currency = values["currency"].strip().upper()
    if currency not in ISO_4217:
        raise ValueError(f"unknown currency {values['currency'].strip()!r}")
    valid_from: date | None = None
    raw_date = values.get("valid_from", "").strip()
    if raw_date:
        try:
            valid_from = date.fromisoformat(raw_date)
        except ValueError:
            raise ValueError(f"invalid valid_from {raw_date!r} (expected YYYY-MM-DD)") from None
    return Rate(prefix, destination, price, fee, increment, currency, valid_from)


def _read_header(header: list[str]) -> list[str]:
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    unknown = [n for n in names if n not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    problems = []
    if missing:
        problems.append("missing column(s): " + ", ".join(missing))
    if unknown:
        problems.append("unknown column(s): " + ", ".join(unknown))
    if len(set(names)) != len(names):
        problems.append("repeated column name")
    if problems:
        raise ValueError("; ".join(problems))
    return names


def _read_rows(text: str) -> tuple[list[tuple[int, list[str]]], LineError | None]:
    """Split the CSV into (physical line, fields); a CSV-level error (e.g. a NUL byte or a
    newline inside an unquoted field) ends the reading and is reported at its line."""
    # newline="" as the csv module requires: a bare CR ends a line instead of raising
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            rows.append((reader.line_num, row))
    except csv.Error as exc:
        return rows, LineError(max(1, reader.line_num), f"malformed CSV: {exc}")
    return rows, None


def parse_deck_csv(text: str, name: str) -> RateDeck:
    """Parse and validate a deck CSV; raise `DeckImportError` listing every rejected line.

    Header (any order): ``prefix,destination,price_per_minute,connection_fee,increment,currency``
    plus optional ``valid_from``.
    """
    rows, broken = _read_rows(text)
    if not rows:
        raise DeckImportError([broken or LineError(1, "empty file: header expected")])
    try:
        columns = _read_header(rows[0][1])
    except ValueError as exc:
        raise DeckImportError([LineError(1, str(exc))]) from None

    errors: list[LineError] = [broken] if broken else []
    rates: list[Rate] = []
    seen: dict[tuple[str, date | None], tuple[int, Rate]] = {}
    currency: tuple[int, str] | None = None
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue  # leniency: blank lines
        if len(row) != len(columns):
            errors.append(LineError(line, f"expected {len(columns)} fields, got {len(row)}"))
            continue
        try:
            rate = _parse_row(dict(zip(columns, row, strict=True)))
        except ValueError as exc:
            errors.append(LineError(line, str(exc)))
            continue
        if currency is None:
            currency = (line, rate.currency)
        elif rate.currency != currency[1]:
            errors.append(
                LineError(
                    line,
                    f"currency {rate.currency} differs from deck currency {currency[1]} "
                    f"(line {currency[0]})",
                )
            )
            continue
        key = (rate.prefix, rate.valid_from)
        if key in seen:
            first_line, first = seen[key]
            same = (first.price_per_minute, first.connection_fee, first.increment) == (
                rate.price_per_minute,
                rate.connection_fee,
                rate.increment,
            )
            what = "duplicate prefix" if same else "conflicting price for prefix"
            errors.append(LineError(line, f"{what} {rate.prefix} (first on line {first_line})"))
            continue
        seen[key] = (line, rate)
        rates.append(rate)
    if errors:
        raise DeckImportError(errors)
    if not rates:
        raise DeckImportError([LineError(1, "no rates: the file has a header only")])
    return RateDeck.build(name, rates)

"""Centrex billing layer (see shared/DESIGN.md §3).

Pure modules: `decks` (CSV import, longest-prefix lookup), `rating` (increments, call charges,
max duration), `plans` and `usage` (bundles, fair use, penalties), `clauses` (SLA credits,
contract periods, termination fee), `credit` (prepaid, trials), `invoices`, `dunning`, `signals`
(fair-use evidence). The database and CLI sides live in `service` and `centrex.cli.billing`.
"""

from centrex.billing.clauses import ContractTerms, SlaCredit, sla_credit, termination_fee
from centrex.billing.decks import (
    DeckImportError,
    Increment,
    LineError,
    Rate,
    RateDeck,
    parse_deck_csv,
)
from centrex.billing.rating import (
    Cdr,
    NoRateError,
    Quote,
    RatedCall,
    billed_seconds,
    charge,
    max_duration,
    quote,
    rate_cdr,
)

__all__ = [
    "Cdr",
    "ContractTerms",
    "DeckImportError",
    "Increment",
    "LineError",
    "NoRateError",
    "Quote",
    "Rate",
    "RateDeck",
    "RatedCall",
    "SlaCredit",
    "billed_seconds",
    "charge",
    "max_duration",
    "parse_deck_csv",
    "quote",
    "rate_cdr",
    "sla_credit",
    "termination_fee",
]

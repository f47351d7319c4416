"""Pure rating throughput: N synthetic CDRs against a 50 000-prefix deck.

Goal (billing issue): 1 million CDRs against a 50 000-prefix deck at >= 10 000 CDRs/s.

    .venv/bin/python bench/rating_bench.py                 # 1 000 000 CDRs, 50 000 prefixes
    .venv/bin/python bench/rating_bench.py --cdrs 200000 --with-cost

Generation is seeded and excluded from the timing; only `rate_cdr` (longest-prefix lookup,
increments, Decimal charge, rounding) is measured. Record results in docs/performance.md.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from centrex.billing.decks import Increment, Rate, RateDeck
from centrex.billing.rating import Cdr, rate_cdr

INCREMENTS = (Increment(1, 1), Increment(30, 6), Increment(60, 60), Increment(60, 1))


def cost_deck(retail: RateDeck) -> RateDeck:
    """A wholesale deck at 60 % of the retail prices, same prefixes (for margin/cost rating)."""
    return RateDeck.build(
        "wholesale",
        [
            Rate(
                r.prefix,
                r.destination,
                (r.price_per_minute * Decimal("0.6")).quantize(Decimal("0.0001")),
                r.connection_fee,
                r.increment,
                r.currency,
            )
            for r in retail.rates()
        ],
    )


def make_deck(name: str, prefixes: int, rng: random.Random, scale: Decimal) -> RateDeck:
    """A deck of `prefixes` distinct prefixes of 2..8 digits, like a wholesale carrier's."""
    seen: set[str] = set()
    rates: list[Rate] = []
    while len(rates) < prefixes:
        length = rng.choice((2, 3, 4, 5, 5, 6, 6, 7, 8))
        prefix = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(length - 1))
        if prefix in seen:
            continue
        seen.add(prefix)
        price = (Decimal(rng.randint(1, 50000)) / Decimal(100000) * scale).quantize(
            Decimal("0.0001")
        )
        fee = Decimal(rng.choice((0, 0, 0, 5, 10))) / 100
        rates.append(Rate(prefix, f"dest {prefix}", price, fee, rng.choice(INCREMENTS), "EUR"))
    return RateDeck.build(name, rates)


def make_cdrs(count: int, deck: RateDeck, rng: random.Random) -> list[Cdr]:
    """CDRs whose numbers mostly start with a deck prefix (some miss, some are unanswered)."""
    prefixes = [r.prefix for r in deck.rates()]
    start = datetime(2026, 3, 1, tzinfo=UTC)
    cdrs = []
    for i in range(count):
        prefix = rng.choice(prefixes) if rng.random() < 0.98 else "999"
        number = "+" + prefix + "".join(str(rng.randint(0, 9)) for _ in range(12 - len(prefix)))
        answered = rng.random() < 0.85
        seconds = rng.randint(0, 900) if answered else 0
        cdrs.append(Cdr(f"c{i}", number, start + timedelta(seconds=i), seconds, answered))
    return cdrs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdrs", type=int, default=1_000_000)
    parser.add_argument("--prefixes", type=int, default=50_000)
    parser.add_argument("--with-cost", action="store_true", help="also rate against a cost deck")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    retail = make_deck("retail", args.prefixes, rng, Decimal(1))
    cost = cost_deck(retail) if args.with_cost else None
    cdrs = make_cdrs(args.cdrs, retail, rng)
    setup = time.perf_counter() - t0

    t0 = time.perf_counter()
    total = Decimal(0)
    unrated = 0
    for cdr in cdrs:
        rated = rate_cdr(cdr, retail, cost)
        total += rated.price
        unrated += not rated.rated
    elapsed = time.perf_counter() - t0

    print(f"deck: {len(retail)} prefixes, cdrs: {len(cdrs)}, cost deck: {cost is not None}")
    print(f"setup (not timed): {setup:.1f} s")
    print(f"rated in {elapsed:.2f} s -> {len(cdrs) / elapsed:,.0f} CDRs/s")
    print(f"total price {total}, unrated {unrated}")


if __name__ == "__main__":
    main()

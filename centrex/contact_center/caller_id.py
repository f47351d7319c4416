"""Local-presence caller ID: which of the tenant's numbers a campaign shows to a callee (pure).

People answer a number that looks local ("a number in 01… when calling a 01…"). With the
campaign policy `local`, the caller ID is the tenant number sharing the longest prefix of E.164
digits with the called number — +33 1… for +33 1…, +33 4… for +33 4… — provided the shared
prefix covers at least the callee's whole country calling code: a number of the same country is
local enough, a foreign one is not, and then the tenant's default number is shown. Ties go to
the default when it is among them, else to the smallest number, so the choice is stable from
one call to the next. A fixed policy (an E.164 number) is simply that number.

No I/O: the dialer passes the tenant's numbers and default in, and `explain` shows the result.
"""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers

LOCAL = "local"


def _digits(e164: str) -> str:
    return e164.lstrip("+")


def _shared(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def country_code_length(e164: str) -> int:
    """How many digits the country calling code of `e164` has (1-3; 0 when unknown)."""
    digits = _digits(e164)
    for size in (1, 2, 3):
        if phonenumbers.region_code_for_country_code(int(digits[:size] or 0)) != "ZZ":
            return size
    return 0


def local_caller_id(called: str, numbers: Iterable[str], default: str | None) -> str | None:
    """The tenant number that looks most local to `called` (E.164), else `default`."""
    target = _digits(called)
    minimum = max(country_code_length(called), 1)
    best: list[str] = []
    best_len = minimum - 1
    for number in numbers:
        shared = _shared(_digits(number), target)
        if shared > best_len:
            best, best_len = [number], shared
        elif shared == best_len and best:
            best.append(number)
    if not best:
        return default
    if default is not None and default in best:
        return default
    return min(best)


def caller_id_for(
    policy: str, called: str, numbers: Iterable[str], default: str | None
) -> str | None:
    """The caller ID of one call: `local` picks by prefix, anything else is a fixed number."""
    if policy == LOCAL:
        return local_caller_id(called, numbers, default)
    return policy

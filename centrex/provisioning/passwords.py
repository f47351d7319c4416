"""Portal login passwords, hashed with Argon2id (never stored or logged in plaintext).

The hash parameters are argon2-cffi's defaults (RFC 9106 low-memory profile: 64 MiB, t=3, p=4,
~0.15 s per hash on a small VM), which is what production wants. A test suite that creates
thousands of users pays that per user, so `CENTREX_PASSWORD_HASH_PROFILE=cheapest` selects
argon2-cffi's CHEAPEST profile instead; it is for tests only and never the default. Verification
reads the parameters from the stored hash, so hashes made under either profile verify under both.
"""

from __future__ import annotations

import functools
import logging
import os

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "verify_password"]

PROFILE_VARIABLE = "CENTREX_PASSWORD_HASH_PROFILE"

log = logging.getLogger(__name__)


@functools.cache
def _hasher() -> PasswordHasher:
    """Chosen on first use (not at import), so a test run's environment is in place."""
    profile = os.environ.get(PROFILE_VARIABLE, "").strip().lower()
    if profile == "cheapest":
        log.info("%s=cheapest: weak password hashes, for tests only", PROFILE_VARIABLE)
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    if profile not in ("", "default"):
        log.error("%s=%r is not 'default' or 'cheapest': using default", PROFILE_VARIABLE, profile)
    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False

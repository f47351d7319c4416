"""Password hashing: the profile switch for tests never weakens verification of real hashes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher

from centrex.provisioning import passwords


@pytest.fixture
def profile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str | None], None]]:
    def use(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(passwords.PROFILE_VARIABLE, raising=False)
        else:
            monkeypatch.setenv(passwords.PROFILE_VARIABLE, value)
        passwords._hasher.cache_clear()

    yield use
    passwords._hasher.cache_clear()


def test_default_profile_is_argon2_defaults(profile: Callable[[str | None], None]) -> None:
    profile(None)
    stored = passwords.hash_password("s3cret")
    assert stored.startswith("$argon2id$")
    assert "m=65536,t=3,p=4" in stored
    assert passwords.verify_password(stored, "s3cret")
    assert not passwords.verify_password(stored, "other")


def test_cheapest_profile_hashes_verify_and_real_hashes_still_verify(
    profile: Callable[[str | None], None],
) -> None:
    real = PasswordHasher().hash("pw")
    profile("cheapest")
    cheap = passwords.hash_password("pw")
    assert "m=8,t=1,p=1" in cheap
    assert passwords.verify_password(cheap, "pw")
    assert passwords.verify_password(real, "pw")
    assert not passwords.verify_password(real, "nope")


def test_unknown_profile_falls_back_to_default(
    profile: Callable[[str | None], None], caplog: pytest.LogCaptureFixture
) -> None:
    profile("weakest-please")
    stored = passwords.hash_password("pw")
    assert "m=65536,t=3,p=4" in stored
    assert "weakest-please" in caplog.text


def test_garbage_hash_is_refused_not_raised() -> None:
    assert not passwords.verify_password("not-a-hash", "pw")

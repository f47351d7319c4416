"""Supervisor monitoring's pure rules (calls/features/monitor_rules.py): which phone may
monitor, which API principal may make it, who hears the supervisor in each mode, which side of
a call is extension N."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from centrex.calls.feature_codes import BY_NAME, CodeKind
from centrex.calls.features.monitor_rules import (
    MODES,
    PREFIXES,
    MonitorMode,
    api_refusal,
    phone_may_monitor,
    watched_side,
)


@pytest.mark.parametrize(
    ("flagged", "role", "allowed"),
    [(True, None, True), (True, "user", True), (False, "supervisor", True),
     (False, None, False), (False, "user", False), (False, "agent", False),
     (False, "tenant-admin", False)],
)  # fmt: skip
def test_a_phone_monitors_when_flagged_or_its_user_is_a_supervisor(
    flagged: bool, role: str | None, allowed: bool
) -> None:
    assert phone_may_monitor(flagged, role) is allowed


def test_api_principals() -> None:
    for admin in ("platform-admin", "partner", "tenant-admin"):
        assert api_refusal(admin, None, "105") is None
    assert api_refusal("supervisor", {"105"}, "105") is None
    refused = api_refusal("supervisor", {"106"}, "105")
    assert refused is not None
    assert (refused.status, refused.error_id) == (403, "not-your-extension")
    for role in ("user", "agent"):
        refused = api_refusal(role, {"105"}, "105")
        assert refused is not None
        assert (refused.status, refused.error_id) == (403, "monitor-forbidden")


def test_who_hears_the_supervisor() -> None:
    assert MODES[MonitorMode.LISTEN].heard_by == ()
    assert MODES[MonitorMode.WHISPER].heard_by == ("agent",)
    assert MODES[MonitorMode.BARGE].heard_by is None
    assert set(MODES) == set(MonitorMode)


def test_the_codes_are_prefixes_of_the_feature_code_catalog() -> None:
    assert PREFIXES == {"*90": MonitorMode.LISTEN, "*91": MonitorMode.WHISPER,
                        "*92": MonitorMode.BARGE}  # fmt: skip
    for code, mode in PREFIXES.items():
        spec = BY_NAME[f"monitor-{mode.value}"]
        assert (spec.default, spec.kind) == (code, CodeKind.PREFIX)


@dataclass
class FakeSide:
    peer: str
    trunk: object | None = None


def test_watched_side_is_the_extension_never_a_trunk() -> None:
    a, b = FakeSide("101"), FakeSide("102")
    assert watched_side([a, b], "102") is b
    assert watched_side([a, None], "102") is None
    trunk = FakeSide("102", trunk=object())  # a trunk named like an extension
    assert watched_side([trunk, a], "102") is None

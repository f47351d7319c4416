"""Call-flow validation and simulation: pure, no database, no audio."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from centrex.apps.ivr.engine import Hangup, Transfer, simulate
from centrex.provisioning.flow_graph import FlowInvalid, check_flow, media_references, parse_flow
from centrex.provisioning.flow_schedule import TimeState, parse_schedule

OFFICE = {
    "mon": [["08:00", "12:00"], ["13:30", "17:00"]],
    "tue": [["08:00", "17:00"]],
    "wed": [["08:00", "17:00"]],
    "thu": [["08:00", "17:00"]],
    "fri": [["08:00", "16:00"]],
}


def office_flow() -> dict[str, Any]:
    return {
        "start": "hours",
        "nodes": [
            {
                "id": "hours",
                "type": "time",
                "timezone": "Europe/Zurich",
                "schedule": OFFICE,
                "holidays": ["2026-12-25", "08-01"],
                "open": "welcome",
                "closed": "closed",
                "holiday": "holiday",
            },
            {"id": "welcome", "type": "play", "prompt": "menu.welcome", "next": "main"},
            {
                "id": "main",
                "type": "menu",
                "prompt": "menu.make_choice",
                "branches": {"1": "sales", "2": "support", "9": "lang", "0": "operator"},
                "timeout": "operator",
                "invalid": "bye",
                "retries": 2,
            },
            {"id": "lang", "type": "language", "choices": {"1": "de", "2": "fr"}, "next": "main"},
            {
                "id": "sales",
                "type": "transfer",
                "prompt": "common.transfer",
                "target": {"kind": "ring_group", "value": "sales"},
            },
            {"id": "support", "type": "transfer", "target": {"kind": "queue", "value": "support"}},
            {"id": "operator", "type": "transfer", "target": {"kind": "extension", "value": "100"}},
            {"id": "closed", "type": "play", "prompt": "menu.closed", "next": "vm"},
            {"id": "holiday", "type": "play", "prompt": "menu.holiday", "next": "bye"},
            {"id": "vm", "type": "transfer", "target": {"kind": "voicemail", "value": "100"}},
            {"id": "bye", "type": "hangup", "prompt": "common.goodbye"},
        ],
    }


def _node(graph: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in graph["nodes"] if n["id"] == node_id)


def _errors(graph: object) -> set[tuple[str | None, str]]:
    flow, issues = check_flow(graph)
    assert flow is None
    return {(i.node, i.error_id) for i in issues}


# Wednesday 2026-11-25 10:00 in Zurich (CET, UTC+1) is 09:00 UTC.
WEDNESDAY_10 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_valid_flow_parses() -> None:
    flow = parse_flow(office_flow())
    assert flow.start == "hours"
    assert len(flow.nodes) == 11
    assert flow.nodes["main"].max_digits == 1


def test_open_menu_digit_transfers() -> None:
    result = simulate(parse_flow(office_flow()), now=WEDNESDAY_10, digits="1")
    assert result.action == Transfer(_target("ring_group", "sales"))
    assert [s.node for s in result.path] == ["hours", "welcome", "main", "sales"]
    assert result.path[0].outcome == "open"
    assert result.path[2].outcome == "digit 1"
    assert ("sales", "common.transfer") in result.played


def _target(kind: str, value: str) -> Any:
    from centrex.provisioning.flow_graph import TransferTarget

    return TransferTarget(kind, value)


def test_timeout_after_retries_follows_timeout_branch() -> None:
    result = simulate(parse_flow(office_flow()), now=WEDNESDAY_10, digits=[])
    assert result.action == Transfer(_target("extension", "100"))
    assert result.path[-2].outcome == "timeout"
    # the menu prompt was played three times (1 + 2 retries)
    assert [p for p in result.played if p == ("main", "menu.make_choice")] == [
        ("main", "menu.make_choice")
    ] * 3


def test_invalid_then_valid_choice() -> None:
    result = simulate(parse_flow(office_flow()), now=WEDNESDAY_10, digits="52")
    assert result.action == Transfer(_target("queue", "support"))
    assert ("main", "common.invalid") in result.played
    assert result.inputs_used == 2


def test_invalid_too_often_follows_invalid_branch() -> None:
    result = simulate(parse_flow(office_flow()), now=WEDNESDAY_10, digits="555")
    assert result.action == Hangup("node")
    assert [s.node for s in result.path][-2:] == ["main", "bye"]
    assert result.path[-2].outcome == "invalid"


def test_language_choice_changes_language() -> None:
    result = simulate(parse_flow(office_flow()), now=WEDNESDAY_10, digits="921")
    assert result.language == "fr"
    assert result.action == Transfer(_target("ring_group", "sales"))
    assert [s.node for s in result.path] == ["hours", "welcome", "main", "lang", "main", "sales"]


def test_language_timeout_keeps_language() -> None:
    result = simulate(parse_flow(office_flow()), now=WEDNESDAY_10, digits=["9", "", "", "1"])
    assert result.language == "en"
    assert result.path[3].outcome == "timeout"


def test_multi_digit_menu_with_terminator() -> None:
    graph = {
        "start": "m",
        "nodes": [
            {
                "id": "m",
                "type": "menu",
                "prompt": "menu.make_choice",
                "branches": {"101": "a", "102": "b"},
            },
            {"id": "a", "type": "transfer", "target": {"kind": "extension", "value": "101"}},
            {"id": "b", "type": "transfer", "target": {"kind": "extension", "value": "102"}},
        ],
    }
    flow = parse_flow(graph)
    assert flow.nodes["m"].max_digits == 3
    assert simulate(flow, now=WEDNESDAY_10, digits=["102#"]).action == Transfer(
        _target("extension", "102")
    )
    # no timeout/invalid branch: hang up when the retries are used up
    result = simulate(flow, now=WEDNESDAY_10, digits=["9", "9", "9"])
    assert result.action == Hangup("no-choice")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 25, 9, 0, tzinfo=UTC), "open"),  # Wed 10:00 CET
        (datetime(2026, 11, 25, 6, 59, tzinfo=UTC), "closed"),  # Wed 07:59 CET
        (datetime(2026, 11, 25, 7, 0, tzinfo=UTC), "open"),  # Wed 08:00 CET exactly
        (datetime(2026, 11, 23, 11, 0, tzinfo=UTC), "closed"),  # Mon 12:00 CET: lunch, end excl.
        (datetime(2026, 11, 23, 12, 30, tzinfo=UTC), "open"),  # Mon 13:30 CET
        (datetime(2026, 11, 28, 10, 0, tzinfo=UTC), "closed"),  # Saturday
        (datetime(2026, 12, 25, 10, 0, tzinfo=UTC), "holiday"),  # one-off holiday (Friday)
        (datetime(2027, 8, 1, 10, 0, tzinfo=UTC), "holiday"),  # yearly holiday, a Sunday
        (datetime(2026, 7, 31, 22, 30, tzinfo=UTC), "holiday"),  # 00:30 on Aug 1 local
    ],
)
def test_time_condition(when: datetime, expected: str) -> None:
    result = simulate(parse_flow(office_flow()), now=when, digits="1")
    assert result.path[0].outcome == expected


def test_closed_goes_to_voicemail_holiday_says_goodbye() -> None:
    closed = simulate(parse_flow(office_flow()), now=datetime(2026, 11, 28, 10, tzinfo=UTC))
    assert closed.action == Transfer(_target("voicemail", "100"))
    holiday = simulate(parse_flow(office_flow()), now=datetime(2026, 12, 25, 10, tzinfo=UTC))
    assert holiday.action == Hangup("node")
    assert ("holiday", "menu.holiday") in holiday.played


def test_holiday_without_holiday_branch_is_closed() -> None:
    graph = office_flow()
    del _node(graph, "hours")["holiday"]
    graph["nodes"] = [n for n in graph["nodes"] if n["id"] != "holiday"]
    result = simulate(parse_flow(graph), now=datetime(2026, 12, 25, 10, tzinfo=UTC))
    assert result.path[0].outcome == "holiday"
    assert result.action == Transfer(_target("voicemail", "100"))


def test_dst_changes_utc_offset_of_opening_hours() -> None:
    """08:00 Zurich is 07:00 UTC in winter (CET) but 06:00 UTC in summer (CEST)."""
    schedule = parse_schedule({"mon": [["08:00", "17:00"]]}, [], "Europe/Zurich")
    winter_monday = datetime(2026, 3, 23, 6, 30, tzinfo=UTC)  # 07:30 CET
    summer_monday = datetime(2026, 3, 30, 6, 30, tzinfo=UTC)  # 08:30 CEST (DST from Mar 29)
    assert schedule.state(winter_monday) is TimeState.CLOSED
    assert schedule.state(summer_monday) is TimeState.OPEN
    autumn_monday = datetime(2026, 10, 26, 6, 30, tzinfo=UTC)  # 07:30 CET again (DST ended)
    assert schedule.state(autumn_monday) is TimeState.CLOSED


def test_dst_transition_night() -> None:
    """On the night clocks go forward, 02:30 local does not exist; 01:59 UTC is 03:59 CEST."""
    schedule = parse_schedule({"sun": [["03:00", "04:00"]]}, [], "Europe/Zurich")
    assert schedule.state(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) is TimeState.OPEN  # 03:00
    assert schedule.state(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) is TimeState.CLOSED  # 01:59


def test_other_time_zone() -> None:
    schedule = parse_schedule({"wed": [["09:00", "17:00"]]}, ["11-25"], "America/New_York")
    assert schedule.state(datetime(2026, 11, 25, 15, tzinfo=UTC)) is TimeState.HOLIDAY
    assert schedule.state(datetime(2026, 11, 26, 3, tzinfo=UTC)) is TimeState.HOLIDAY  # 22:00 NY
    assert schedule.state(datetime(2026, 11, 26, 6, tzinfo=UTC)) is TimeState.CLOSED


def test_naive_time_is_refused() -> None:
    schedule = parse_schedule({}, [], "UTC")
    with pytest.raises(ValueError, match="aware"):
        schedule.state(datetime(2026, 1, 1))


# --- validation errors -------------------------------------------------------------------


def test_not_an_object_and_no_nodes() -> None:
    assert _errors([1, 2]) == {(None, "flow-not-object")}
    assert _errors({"start": "a", "nodes": []}) == {(None, "flow-no-nodes")}
    assert _errors({"start": "a", "nodes": [{}] * 501}) == {(None, "flow-too-large")}


def test_missing_and_unknown_start() -> None:
    graph = office_flow()
    del graph["start"]
    assert (None, "flow-missing-start") in _errors(graph)
    graph["start"] = "nowhere"
    assert (None, "flow-unknown-start") in _errors(graph)


def test_dangling_branch() -> None:
    graph = office_flow()
    _node(graph, "main")["branches"]["3"] = "ghost"
    errors = _errors(graph)
    assert errors == {("main", "flow-dangling-branch")}
    _, issues = check_flow(graph)
    assert issues[0].field == "branches.3"
    assert "ghost" in issues[0].message


def test_unreachable_node() -> None:
    graph = office_flow()
    graph["nodes"].append({"id": "island", "type": "hangup"})
    assert _errors(graph) == {("island", "flow-unreachable-node")}


def test_loop_without_input() -> None:
    graph = office_flow()
    _node(graph, "holiday")["next"] = "again"
    graph["nodes"].append(
        {"id": "again", "type": "play", "prompt": "menu.welcome", "next": "holiday"}
    )
    assert _errors(graph) == {("again", "flow-loop-without-input")}
    _, issues = check_flow(graph)
    assert "again, holiday" in issues[0].message


def test_self_loop_without_input() -> None:
    graph = {
        "start": "a",
        "nodes": [{"id": "a", "type": "play", "prompt": "menu.welcome", "next": "a"}],
    }
    assert _errors(graph) == {("a", "flow-loop-without-input")}


def test_loop_through_a_time_condition_is_still_without_input() -> None:
    graph = {
        "start": "t",
        "nodes": [
            {
                "id": "t",
                "type": "time",
                "timezone": "UTC",
                "schedule": {},
                "open": "p",
                "closed": "p",
            },
            {"id": "p", "type": "play", "prompt": "menu.welcome", "next": "t"},
        ],
    }
    assert _errors(graph) == {("p", "flow-loop-without-input")}


def test_loop_through_a_menu_is_allowed() -> None:
    graph = office_flow()  # main -> lang -> main, and lang waits for input
    assert check_flow(graph)[1] == []
    graph2 = {
        "start": "p",
        "nodes": [
            {"id": "p", "type": "play", "prompt": "menu.welcome", "next": "m"},
            {"id": "m", "type": "menu", "prompt": "menu.make_choice", "branches": {"1": "p"}},
        ],
    }
    assert check_flow(graph2)[1] == []


def test_unknown_type_duplicate_and_bad_ids() -> None:
    graph = office_flow()
    graph["nodes"].append({"id": "x", "type": "teleport"})
    graph["nodes"].append({"id": "bye", "type": "hangup"})
    graph["nodes"].append({"id": "bad id!", "type": "hangup"})
    errors = _errors(graph)
    assert ("x", "flow-unknown-type") in errors
    assert ("bye", "flow-duplicate-node") in errors
    assert (None, "flow-bad-node-id") in errors


@pytest.mark.parametrize(
    ("node_id", "change", "error_id"),
    [
        ("welcome", {"prompt": "no.such.prompt"}, "flow-bad-prompt"),
        ("welcome", {"prompt": {"media": "x"}}, "flow-bad-prompt"),
        ("welcome", {"prompt": {"text": {"xx": "hi"}}}, "flow-bad-prompt"),
        ("welcome", {"prompt": None}, "flow-missing-field"),
        ("main", {"branches": {}}, "flow-missing-field"),
        ("main", {"branches": {"1a": "sales"}}, "flow-bad-digit"),
        ("main", {"retries": 20}, "flow-bad-retries"),
        ("main", {"timeout_seconds": 0}, "flow-bad-timeout-seconds"),
        ("lang", {"choices": {"1": "es"}}, "flow-bad-language"),
        ("sales", {"target": {"kind": "fax", "value": "1"}}, "flow-bad-target"),
        ("sales", {"target": {"kind": "extension", "value": ""}}, "flow-bad-target"),
        ("hours", {"timezone": "Mars/Olympus"}, "flow-bad-timezone"),
        ("hours", {"timezone": None}, "flow-bad-timezone"),
        ("hours", {"schedule": {"monday": []}}, "flow-bad-schedule"),
        ("hours", {"schedule": {"mon": [["08:00"]]}}, "flow-bad-schedule"),
        ("hours", {"schedule": {"mon": [["25:00", "26:00"]]}}, "flow-bad-time"),
        ("hours", {"schedule": {"mon": [["12:00", "08:00"]]}}, "flow-bad-time"),
        ("hours", {"holidays": ["2026-02-30"]}, "flow-bad-holiday"),
        ("hours", {"holidays": ["13-01"]}, "flow-bad-holiday"),
        ("hours", {"open": None}, "flow-missing-field"),
    ],
)
def test_node_field_errors(node_id: str, change: dict[str, Any], error_id: str) -> None:
    graph = copy.deepcopy(office_flow())
    node = _node(graph, node_id)
    for key, value in change.items():
        if value is None:
            node.pop(key, None)
        else:
            node[key] = value
    errors = _errors(graph)
    assert (node_id, error_id) in errors


def test_all_issues_are_reported_at_once() -> None:
    graph = office_flow()
    _node(graph, "main")["branches"]["3"] = "ghost"
    _node(graph, "hours")["timezone"] = "Nowhere/City"
    graph["nodes"].append({"id": "island", "type": "hangup"})
    with pytest.raises(FlowInvalid) as info:
        parse_flow(graph)
    assert {i.error_id for i in info.value.issues} == {
        "flow-dangling-branch",
        "flow-bad-timezone",
        "flow-unreachable-node",
    }
    assert info.value.error_id == "flow-invalid"
    assert info.value.status == 422
    assert all(
        set(i.as_dict()) == {"node", "error_id", "message", "field"} for i in info.value.issues
    )


def test_media_and_text_prompts() -> None:
    graph = office_flow()
    _node(graph, "welcome")["prompt"] = {"media": 7}
    _node(graph, "closed")["prompt"] = {"text": {"de": "Geschlossen", "en": "Closed"}}
    assert media_references(graph) == {7}
    flow = parse_flow(graph)
    text = flow.nodes["closed"].prompt
    assert text is not None
    assert text.text_for("de") == "Geschlossen"
    assert text.text_for("it") == "Closed"


def test_step_limit_stops_endless_menus() -> None:
    graph = {
        "start": "a",
        "nodes": [
            {
                "id": "a",
                "type": "menu",
                "prompt": "menu.welcome",
                "branches": {"1": "b"},
                "timeout": "b",
                "retries": 0,
            },
            {
                "id": "b",
                "type": "menu",
                "prompt": "menu.welcome",
                "branches": {"1": "a"},
                "timeout": "a",
                "retries": 0,
            },
        ],
    }
    result = simulate(parse_flow(graph), now=WEDNESDAY_10, max_steps=50)
    assert result.action == Hangup("step-limit")
    assert len(result.path) == 50

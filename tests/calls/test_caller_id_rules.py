"""Caller ID per outbound route (calls/router.py `choose_caller_id`): the longest prefix of the
tenant's rules wins over the extension's own number, a number the tenant does not own never
goes out (the API: tests/api/test_caller_id_rules_api.py)."""

from __future__ import annotations

from centrex.calls.router import ToTrunks, route
from tests.calls.test_router import TRUNKS, call, plan

RULES = (("3314", "+41215550101"), ("33", "+41215550100"), ("", "+41215550101"))


def test_the_longest_matching_rule_names_the_caller_id() -> None:
    p = plan(caller_ids={}, caller_id_rules=RULES)
    paris = route(p, call("+33145550000"), trunks=TRUNKS)
    lyon = route(p, call("+33478000000"), trunks=TRUNKS)
    zurich = route(p, call("+41446681800"), trunks=TRUNKS)
    assert isinstance(paris, ToTrunks)
    assert isinstance(lyon, ToTrunks)
    assert isinstance(zurich, ToTrunks)
    assert (paris.caller_id, lyon.caller_id, zurich.caller_id) == (
        "+41215550101", "+41215550100", "+41215550101",
    )  # fmt: skip


def test_a_rule_wins_over_the_extension_and_a_foreign_number_never_goes_out() -> None:
    p = plan(caller_id_rules=(("33", "+41215550100"),))
    # 102's own choice is +41215550101, the route's rule wins for France
    to_france = route(p, call("+33145550000", caller="102"), trunks=TRUNKS)
    assert isinstance(to_france, ToTrunks)
    assert to_france.caller_id == "+41215550100"
    foreign = plan(caller_id_rules=(("33", "+33999999999"),))
    fallback = route(foreign, call("+33145550000", caller="102"), trunks=TRUNKS)
    assert isinstance(fallback, ToTrunks)
    assert fallback.caller_id == "+41215550101"  # not the tenant's: its own choice instead

"""The call-script validator (`contact_center/script_rules.py`, pure): a valid script has no
problem; each broken one answers exactly the problems below (byte-exact messages, the page and
question they are on, their error id), every problem at once; merge fields are checked against
the built-ins and declared fields, or the campaign's names when given; and a Hypothesis sweep
feeds arbitrary JSON (and mutations of a valid script) without the validator ever raising."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from centrex.contact_center.script_rules import (
    ScriptInvalid,
    ScriptIssue,
    declared_fields,
    options_of,
    validate,
)


def good() -> dict[str, Any]:
    return {
        "start": "intro",
        "fields": ["company"],
        "pages": [
            {"id": "intro", "title": "Hello", "text": "Bonjour {first_name} de {company}",
             "questions": [{"id": "interested", "label": "Interested?", "type": "choice",
                            "options": ["yes", "no", "maybe"],
                            "branches": {"yes": "offer", "no": "bye"}}],
             "next": "offer"},
            {"id": "offer", "title": "Offer", "text": "For {name}: {{20%}} off",
             "questions": [{"id": "budget", "label": "Budget?", "type": "text"},
                           {"id": "callback", "label": "Call back?", "type": "yesno",
                            "branches": {"no": "bye"}}]},
            {"id": "bye", "title": "Goodbye", "text": "Merci"},
        ],
        "objections": [{"id": "price", "label": "Too expensive",
                        "rebuttal": "Our offer saves {company} money"}],
    }  # fmt: skip


def issues(definition: Any, known: list[str] | None = None) -> list[tuple[Any, ...]]:
    return [(i.page, i.question, i.error, i.message) for i in validate(definition, known)]


def test_a_good_script_has_no_problem() -> None:
    assert validate(good()) == []
    assert declared_fields(good()) == ["company"]
    assert options_of({"type": "yesno"}) == ["yes", "no"]
    assert options_of({"type": "choice", "options": ["a", "b"]}) == ["a", "b"]
    assert options_of({"type": "text"}) == []


def test_a_dangling_branch_names_its_page_and_question() -> None:
    script = good()
    script["pages"][0]["questions"][0]["branches"]["no"] = "byebye"
    assert issues(script) == [
        ("intro", "interested", "script-branch-dangling",
         "page 'intro', question 'interested': the answer 'no' branches to 'byebye', which is "
         "not a page of the script"),
    ]  # fmt: skip
    as_dict = validate(script)[0].as_dict()
    assert as_dict == {"page": "intro", "question": "interested", "error": "script-branch-dangling",
                       "message": issues(script)[0][3]}  # fmt: skip


def test_a_dangling_next_and_an_unreachable_page() -> None:
    script = good()
    script["pages"][0]["next"] = "nowhere"
    script["pages"][0]["questions"][0]["branches"] = {"no": "bye"}
    assert issues(script) == [
        ("intro", None, "script-branch-dangling",
         "page 'intro': next goes to 'nowhere', which is not a page of the script"),
        ("offer", None, "script-page-unreachable",
         "page 'offer': no path from the start page 'intro' reaches it"),
    ]  # fmt: skip


def test_start_missing_and_unknown() -> None:
    script = good()
    del script["start"]
    assert issues(script) == [(None, None, "script-start-missing",
                               "start must name the first page")]  # fmt: skip
    script["start"] = "outro"
    assert issues(script) == [(None, None, "script-start-unknown",
                               "start names 'outro', which is not a page of the script")]  # fmt: skip


def test_duplicate_ids_of_pages_questions_and_objections() -> None:
    script = good()
    script["pages"].append({"id": "bye", "title": "Again"})
    script["pages"][1]["questions"][0]["id"] = "interested"
    script["objections"].append({"id": "price", "label": "Twice", "rebuttal": "No"})
    assert issues(script) == [
        ("offer", "interested", "script-duplicate-id",
         "page 'offer', question 'interested': another question has this id (answers are "
         "stored by question id)"),
        ("bye", None, "script-duplicate-id", "two pages have the id 'bye'"),
        (None, None, "script-duplicate-id", "two objections have the id 'price'"),
    ]  # fmt: skip


def test_unknown_merge_fields_against_declared_and_campaign_fields() -> None:
    script = good()
    script["pages"][1]["text"] = "Hello {first_name} at {city}"
    assert issues(script) == [
        ("offer", None, "script-field-unknown",
         "page 'offer': text uses unknown field(s) {city}; known: company, first_name, "
         "last_name, name, number, postal_code"),
    ]  # fmt: skip
    # a campaign whose leads carry `city` but not `company`: the campaign's names decide
    known = ["number", "name", "first_name", "last_name", "postal_code", "city"]
    assert issues(script, known) == [
        ("intro", None, "script-field-unknown",
         "page 'intro': text uses unknown field(s) {company}; known: city, first_name, "
         "last_name, name, number, postal_code"),
        (None, None, "script-field-unknown",
         "objection 'price': rebuttal uses unknown field(s) {company}; known: city, first_name, "
         "last_name, name, number, postal_code"),
    ]  # fmt: skip


def test_questions_types_options_and_branches() -> None:
    script = good()
    page = script["pages"][1]
    page["questions"] = [
        {"id": "q1", "label": "A?", "type": "number"},
        {"id": "q2", "label": "B?", "type": "choice", "options": []},
        {"id": "q3", "label": "C?", "type": "choice", "options": ["x", "x"]},
        {"id": "q4", "label": "D?", "type": "yesno", "options": ["oui", "non"]},
        {"id": "q5", "label": "E?", "type": "text", "branches": {"anything": "bye"}},
        {"id": "q6", "label": "F?", "type": "yesno", "branches": {"maybe": "bye"}},
        {"id": "q7", "label": "", "type": "text", "hint": "x"},
    ]
    assert issues(script) == [
        ("offer", "q1", "script-question-type",
         "page 'offer', question 'q1': type must be one of text, choice, yesno, not 'number'"),
        ("offer", "q2", "script-options",
         "page 'offer', question 'q2': a choice needs 1-50 options, each a non-empty text of at "
         "most 100 characters"),
        ("offer", "q3", "script-options",
         "page 'offer', question 'q3': option(s) 'x' appear more than once"),
        ("offer", "q4", "script-options",
         "page 'offer', question 'q4': a yesno question's options are yes, no"),
        ("offer", "q5", "script-branch-option",
         "page 'offer', question 'q5': a branch for the answer 'anything', which the question "
         "does not offer (options: none (free text))"),
        ("offer", "q6", "script-branch-option",
         "page 'offer', question 'q6': a branch for the answer 'maybe', which the question does "
         "not offer (options: yes, no)"),
        ("offer", "q7", "script-unknown-key",
         "page 'offer', question 'q7': a question has no key 'hint'; its keys are branches, id, "
         "label, options, type"),
        ("offer", "q7", "script-bad-field",
         "page 'offer', question 'q7': label must be a non-empty text of at most 500 characters"),
    ]  # fmt: skip


def test_shape_problems() -> None:
    assert issues([]) == [(None, None, "script-not-object", "a script is a JSON object")]
    assert issues({"start": "a", "pages": []}) == [
        (None, None, "script-pages-missing", "pages must be a non-empty list"),
        (None, None, "script-start-unknown", "start names 'a', which is not a page of the script"),
    ]  # fmt: skip
    broken = {"start": "a", "pages": [{"id": "a b"}, 3, {"id": "a", "title": 5}],
              "objections": [{"id": "o", "label": "L"}], "extra": 1,
              "fields": ["bad-name"]}  # fmt: skip
    assert issues(broken) == [
        (None, None, "script-unknown-key",
         "the script: a script has no key 'extra'; its keys are fields, objections, pages, start"),
        (None, None, "script-bad-field",
         "fields must be a list of at most 100 field names (a letter or '_', then letters, "
         "digits or '_')"),
        (None, None, "script-bad-id",
         "the script: the page #1's id must be 1-64 letters, digits, '_' or '-', not 'a b'"),
        (None, None, "script-not-object", "page #2 is not an object"),
        ("a", None, "script-bad-field",
         "page 'a': title must be a text of at most 200 characters"),
        (None, None, "script-bad-field",
         "objection 'o': rebuttal must be a non-empty text of at most 20000 characters"),
    ]  # fmt: skip


def test_limits() -> None:
    pages: list[dict[str, str]] = [{"id": f"p{i}", "next": f"p{i + 1}"} for i in range(201)]
    pages[-1].pop("next")
    script = {"start": "p0", "pages": pages}
    found = issues(script)
    assert found[0] == (None, None, "script-too-large", "201 pages; at most 200")
    assert found[1:] == [("p199", None, "script-branch-dangling",
                          "page 'p199': next goes to 'p200', which is not a page of the script")]  # fmt: skip


def test_script_invalid_carries_every_issue_and_the_first_id() -> None:
    found = [ScriptIssue("a", None, "script-branch-dangling", "first"),
             ScriptIssue("b", None, "script-page-unreachable", "second")]  # fmt: skip
    error = ScriptInvalid(found)
    assert (error.status, error.error_id, error.field) == (422, "script-branch-dangling",
                                                           "definition")  # fmt: skip
    assert error.message == "the script is invalid: first (and 1 more)"
    assert error.issues == tuple(found)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
KEYS = ["start", "pages", "objections", "fields", "id", "title", "text", "questions", "next",
        "label", "type", "options", "branches", "rebuttal"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_any_json_gives_issues_never_an_exception(value: Any) -> None:
    found = validate(value)
    assert all(isinstance(i, ScriptIssue) and i.error.startswith("script-") for i in found)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10), st.sampled_from(KEYS), JSON), max_size=6))
def test_mutated_good_script_never_raises(mutations: list[tuple[int, str, Any]]) -> None:
    script = good()
    # every object of the script, taken before any change (a mutation may cut one loose)
    targets: list[dict[str, Any]] = [script, *script["pages"], *script["objections"]]
    targets += [q for p in script["pages"] for q in p.get("questions", [])]
    for where, key, value in mutations:
        targets[where % len(targets)][key] = copy.deepcopy(value)
    found = validate(script)
    assert all(i.message and i.error.startswith("script-") for i in found)

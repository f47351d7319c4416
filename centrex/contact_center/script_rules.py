"""Call scripts: the JSON format an agent reads from, and its validation on save (pure).

Theory of operation. A script is what the agent desktop shows while a lead is on the line
(issue 16 item 1): pages of text with the lead's merge fields (`lead_fields.py`: ``{first_name}``,
``{company}``...), questions whose answers are stored with the lead, branches that choose the
next page from an answer, and objection buttons whose rebuttal appears at once:

    {"start": "intro",
     "fields": ["company"],
     "pages": [
       {"id": "intro", "title": "Hello", "text": "Bonjour {first_name} de {company}",
        "questions": [{"id": "interested", "label": "Interested?", "type": "choice",
                       "options": ["yes", "no"], "branches": {"yes": "offer", "no": "bye"}}],
        "next": "offer"},
       {"id": "offer", "title": "Offer", "text": "..."},
       {"id": "bye", "title": "Goodbye", "text": "..."}],
     "objections": [{"id": "price", "label": "Too expensive", "rebuttal": "Our offer ..."}]}

Question types are ``text`` (free answer), ``choice`` (one of ``options``) and ``yesno`` (the
options are ``yes`` and ``no``, implied). ``next`` and ``branches`` are optional: a page without
them ends the script. ``fields`` declares the custom merge fields a script may use while it is
bound to no campaign (or to one without leads yet); bound to a campaign with leads, the names its
leads actually carry decide instead (the service passes them as `known`).

The script is a graph of pages, so it is checked as the IVR flows are (`provisioning/flow_graph`):
every problem is collected, each with the page (and question) it belongs to and a stable error id,
so an editor marks them all at once instead of one per save:

=========================  =====================================================================
error id                   what is wrong
=========================  =====================================================================
script-not-object          the definition (or a page, question, objection) is not a JSON object
script-unknown-key         a key the format does not have (a typo must not be ignored)
script-too-large           more pages, questions, objections or characters than the limits
script-start-missing       no ``start`` page id
script-start-unknown       ``start`` names no page
script-pages-missing       ``pages`` is not a non-empty list
script-bad-id              an id that is not 1-64 letters, digits, ``_`` or ``-``
script-duplicate-id        two pages, two questions (anywhere in the script: answers are stored
                           by question id) or two objections with the same id
script-bad-field           a title, text, label, rebuttal or option of the wrong type or length
script-question-type       a question type other than text, choice, yesno
script-options             a choice without options, repeated options, options on a text question
script-branch-option       a branch for an answer the question does not offer
script-branch-dangling     a branch or ``next`` to a page that does not exist
script-page-unreachable    a page no path from ``start`` reaches
script-field-unknown       a ``{field}`` that the leads do not have (names them)
=========================  =====================================================================

The validator reads only the argument it is given: no database, no clock, and it never raises
on any JSON value (a Hypothesis sweep feeds it arbitrary data), so the API can answer every
definition with a list of problems.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from centrex.contact_center.lead_fields import BUILT_IN, unknown_fields
from centrex.errors import ValidationFailed

__all__ = [
    "QUESTION_TYPES",
    "ScriptInvalid",
    "ScriptIssue",
    "declared_fields",
    "options_of",
    "validate",
]

SCRIPT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")  # lead_fields' `{name}`, bounded
QUESTION_TYPES = ("text", "choice", "yesno")
YESNO = ("yes", "no")
MAX_PAGES = 200
MAX_QUESTIONS = 50  # per page
MAX_OBJECTIONS = 100
MAX_OPTIONS = 50
MAX_FIELDS = 100
MAX_TITLE = 200
MAX_LABEL = 500
MAX_OPTION = 100
MAX_TEXT = 20_000

SCRIPT_KEYS = frozenset({"start", "pages", "objections", "fields"})
PAGE_KEYS = frozenset({"id", "title", "text", "questions", "next"})
QUESTION_KEYS = frozenset({"id", "label", "type", "options", "branches"})
OBJECTION_KEYS = frozenset({"id", "label", "rebuttal"})


@dataclass(frozen=True, slots=True)
class ScriptIssue:
    """One problem: the page and question it is on (None: the script itself), a stable error
    id and a sentence naming what is wrong."""

    page: str | None
    question: str | None
    error: str
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "page": self.page,
            "question": self.question,
            "error": self.error,
            "message": self.message,
        }


class ScriptInvalid(ValidationFailed):
    """A script failed validation: `issues` lists every problem, the first one's id is ours."""

    def __init__(self, issues: Sequence[ScriptIssue]) -> None:
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        super().__init__(
            f"the script is invalid: {first.message}{more}",
            error_id=first.error,
            field="definition",
        )
        self.issues: tuple[ScriptIssue, ...] = tuple(issues)


def options_of(question: Mapping[str, Any]) -> list[str]:
    """The answers a (valid) question offers: yes/no, its options, or [] for free text."""
    if question.get("type") == "yesno":
        return list(YESNO)
    if question.get("type") == "choice":
        return [str(o) for o in question.get("options") or []]
    return []


def declared_fields(definition: Any) -> list[str]:
    """The custom field names the definition declares in ``fields`` (valid names only)."""
    if not isinstance(definition, Mapping):
        return []
    raw = definition.get("fields")
    if not isinstance(raw, list):
        return []
    return [f for f in raw if isinstance(f, str) and FIELD_NAME.fullmatch(f)]


def _where(page: str | None, question: str | None) -> str:
    if page is None:
        return "the script"
    return f"page {page!r}" + (f", question {question!r}" if question is not None else "")


class _Checker:
    """Walks one definition, recording issues instead of raising."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.issues: list[ScriptIssue] = []
        self.question_ids: set[str] = set()

    def issue(self, page: str | None, question: str | None, error: str, message: str) -> None:
        self.issues.append(ScriptIssue(page, question, error, message))

    def keys(self, raw: Mapping[Any, Any], allowed: frozenset[str], page: str | None,
             question: str | None, what: str) -> None:  # fmt: skip
        extra = sorted(str(k) for k in raw if k not in allowed)
        if extra:
            self.issue(page, question, "script-unknown-key",
                       f"{_where(page, question)}: {what} has no key {', '.join(map(repr, extra))}"
                       f"; its keys are {', '.join(sorted(allowed))}")  # fmt: skip

    def ident(self, value: Any, page: str | None, question: str | None, what: str) -> str | None:
        if isinstance(value, str) and SCRIPT_ID.fullmatch(value):
            return value
        self.issue(page, question, "script-bad-id",
                   f"{_where(page, question)}: the {what} id must be 1-64 letters, digits, '_' "
                   f"or '-', not {_short(value)}")  # fmt: skip
        return None

    def string(self, raw: Mapping[Any, Any], key: str, limit: int, page: str | None,
               question: str | None, *, required: bool = False) -> str:  # fmt: skip
        value = raw.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
            need = "a non-empty text" if required else "a text"
            self.issue(page, question, "script-bad-field",
                       f"{_where(page, question)}: {key} must be {need} of at most {limit} "
                       "characters")  # fmt: skip
            return ""
        self.fields(value, page, question, key)
        return value

    def fields(self, text: str, page: str | None, question: str | None, key: str) -> None:
        unknown = unknown_fields(text, self.known)
        if unknown:
            names = ", ".join("{" + name + "}" for name in unknown)
            self.issue(page, question, "script-field-unknown",
                       f"{_where(page, question)}: {key} uses unknown field(s) {names}; known: "
                       f"{', '.join(sorted(self.known))}")  # fmt: skip

    # ------------------------------------------------------------------------- pages

    def page(
        self, raw: Any, index: int, seen: dict[str, None]
    ) -> tuple[str, dict[str, Any]] | None:
        if not isinstance(raw, Mapping):
            self.issue(None, None, "script-not-object", f"page #{index + 1} is not an object")
            return None
        page_id = self.ident(raw.get("id"), None, None, f"page #{index + 1}'s")
        if page_id is None:
            return None
        if page_id in seen:
            self.issue(page_id, None, "script-duplicate-id", f"two pages have the id {page_id!r}")
            return None
        seen[page_id] = None
        self.keys(raw, PAGE_KEYS, page_id, None, "a page")
        self.string(raw, "title", MAX_TITLE, page_id, None)
        self.string(raw, "text", MAX_TEXT, page_id, None)
        edges: dict[str, Any] = {}
        if raw.get("next") is not None:
            edges["next"] = raw["next"]
        questions = raw.get("questions", [])
        if not isinstance(questions, list):
            self.issue(page_id, None, "script-bad-field",
                       f"page {page_id!r}: questions must be a list")  # fmt: skip
            questions = []
        if len(questions) > MAX_QUESTIONS:
            self.issue(page_id, None, "script-too-large",
                       f"page {page_id!r} has {len(questions)} questions; at most "
                       f"{MAX_QUESTIONS}")  # fmt: skip
            questions = questions[:MAX_QUESTIONS]
        for number, question in enumerate(questions):
            for answer, target in self.question(page_id, question, number).items():
                edges[answer] = target
        return page_id, edges

    def question(self, page: str, raw: Any, index: int) -> dict[str, Any]:
        """The question's branches as {"question id=answer": target} (unchecked targets)."""
        if not isinstance(raw, Mapping):
            self.issue(page, None, "script-not-object",
                       f"page {page!r}: question #{index + 1} is not an object")  # fmt: skip
            return {}
        qid = self.ident(raw.get("id"), page, None, f"question #{index + 1}'s")
        if qid is None:
            return {}
        if qid in self.question_ids:
            self.issue(page, qid, "script-duplicate-id",
                       f"{_where(page, qid)}: another question has this id (answers are stored "
                       "by question id)")  # fmt: skip
            return {}
        self.question_ids.add(qid)
        self.keys(raw, QUESTION_KEYS, page, qid, "a question")
        self.string(raw, "label", MAX_LABEL, page, qid, required=True)
        kind = raw.get("type")
        if kind not in QUESTION_TYPES:
            self.issue(page, qid, "script-question-type",
                       f"{_where(page, qid)}: type must be one of {', '.join(QUESTION_TYPES)}, "
                       f"not {_short(kind)}")  # fmt: skip
            return {}
        options = self.options(page, qid, kind, raw.get("options"))
        return self.branches(page, qid, kind, options, raw.get("branches"))

    def options(self, page: str, qid: str, kind: str, raw: Any) -> list[str]:
        if kind == "text":
            if raw not in (None, []):
                self.issue(page, qid, "script-options",
                           f"{_where(page, qid)}: a text question has no options")  # fmt: skip
            return []
        if kind == "yesno":
            if raw is not None and raw != list(YESNO):
                self.issue(page, qid, "script-options",
                           f"{_where(page, qid)}: a yesno question's options are "
                           "yes, no")  # fmt: skip
            return list(YESNO)
        good = (
            isinstance(raw, list)
            and 1 <= len(raw) <= MAX_OPTIONS
            and all(isinstance(o, str) and o.strip() and len(o) <= MAX_OPTION for o in raw)
        )
        if not good:
            self.issue(page, qid, "script-options",
                       f"{_where(page, qid)}: a choice needs 1-{MAX_OPTIONS} options, each a "
                       f"non-empty text of at most {MAX_OPTION} characters")  # fmt: skip
            return []
        assert isinstance(raw, list)
        repeated = sorted({o for o in raw if raw.count(o) > 1})
        if repeated:
            self.issue(page, qid, "script-options",
                       f"{_where(page, qid)}: option(s) {', '.join(map(repr, repeated))} "
                       "appear more than once")  # fmt: skip
        return [str(o) for o in raw]

    def branches(self, page: str, qid: str, kind: str, options: list[str],
                 raw: Any) -> dict[str, Any]:  # fmt: skip
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.issue(page, qid, "script-bad-field",
                       f"{_where(page, qid)}: branches must map answers to page ids")  # fmt: skip
            return {}
        out: dict[str, Any] = {}
        for answer, target in raw.items():
            if kind == "text" or answer not in options:
                offered = ", ".join(options) if options else "none (free text)"
                self.issue(page, qid, "script-branch-option",
                           f"{_where(page, qid)}: a branch for the answer {_short(answer)}, "
                           f"which the question does not offer (options: {offered})")  # fmt: skip
                continue
            out[f"{qid}={answer}"] = target
        return out

    # ------------------------------------------------------------------------ objections

    def objections(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, list):
            self.issue(None, None, "script-bad-field", "objections must be a list")
            return
        if len(raw) > MAX_OBJECTIONS:
            self.issue(None, None, "script-too-large",
                       f"{len(raw)} objections; at most {MAX_OBJECTIONS}")  # fmt: skip
            raw = raw[:MAX_OBJECTIONS]
        seen: set[str] = set()
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                self.issue(None, None, "script-not-object",
                           f"objection #{index + 1} is not an object")  # fmt: skip
                continue
            oid = self.ident(item.get("id"), None, None, f"objection #{index + 1}'s")
            if oid is None:
                continue
            if oid in seen:
                self.issue(None, None, "script-duplicate-id",
                           f"two objections have the id {oid!r}")  # fmt: skip
                continue
            seen.add(oid)
            self.keys(item, OBJECTION_KEYS, None, None, f"objection {oid!r}")
            for key, limit in (("label", MAX_LABEL), ("rebuttal", MAX_TEXT)):
                value = item.get(key)
                if not isinstance(value, str) or not value.strip() or len(value) > limit:
                    self.issue(None, None, "script-bad-field",
                               f"objection {oid!r}: {key} must be a non-empty text of at most "
                               f"{limit} characters")  # fmt: skip
                    continue
                unknown = unknown_fields(value, self.known)
                if unknown:
                    names = ", ".join("{" + name + "}" for name in unknown)
                    self.issue(None, None, "script-field-unknown",
                               f"objection {oid!r}: {key} uses unknown field(s) {names}; known: "
                               f"{', '.join(sorted(self.known))}")  # fmt: skip


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _reachable(start: str, edges: Mapping[str, Mapping[str, Any]]) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in edges[todo.pop()].values():
            if isinstance(target, str) and target in edges and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _fields_issue(definition: Mapping[Any, Any], checker: _Checker) -> None:
    raw = definition.get("fields")
    if raw is None:
        return
    good = (
        isinstance(raw, list)
        and len(raw) <= MAX_FIELDS
        and all(isinstance(f, str) and FIELD_NAME.fullmatch(f) for f in raw)
    )
    if not good:
        checker.issue(None, None, "script-bad-field",
                      f"fields must be a list of at most {MAX_FIELDS} field names (a letter or "
                      "'_', then letters, digits or '_')")  # fmt: skip


def _pages(definition: Mapping[Any, Any], checker: _Checker) -> dict[str, dict[str, Any]]:
    """Each valid page's outgoing edges, {"next" or "question=answer": target}."""
    pages = definition.get("pages")
    if not isinstance(pages, list) or not pages:
        checker.issue(None, None, "script-pages-missing", "pages must be a non-empty list")
        return {}
    if len(pages) > MAX_PAGES:
        checker.issue(None, None, "script-too-large", f"{len(pages)} pages; at most {MAX_PAGES}")
        pages = pages[:MAX_PAGES]
    edges: dict[str, dict[str, Any]] = {}
    seen: dict[str, None] = {}
    for index, raw in enumerate(pages):
        parsed = checker.page(raw, index, seen)
        if parsed is not None:
            edges[parsed[0]] = parsed[1]
    return edges


def _dangling(edges: Mapping[str, Mapping[str, Any]], checker: _Checker) -> None:
    for page_id, out in edges.items():
        for via, target in out.items():
            if isinstance(target, str) and target in edges:
                continue
            where = f"{_short(target)}, which is not a page of the script"
            if via == "next":
                checker.issue(page_id, None, "script-branch-dangling",
                              f"page {page_id!r}: next goes to {where}")  # fmt: skip
                continue
            question, _, answer = via.partition("=")
            checker.issue(page_id, question, "script-branch-dangling",
                          f"{_where(page_id, question)}: the answer {answer!r} branches to "
                          f"{where}")  # fmt: skip


def _start(start: Any, edges: Mapping[str, Mapping[str, Any]], checker: _Checker) -> None:
    if start is None or start == "":
        checker.issue(None, None, "script-start-missing", "start must name the first page")
        return
    if not isinstance(start, str) or start not in edges:
        checker.issue(None, None, "script-start-unknown",
                      f"start names {_short(start)}, which is not a page of the "
                      "script")  # fmt: skip
        return
    reached = _reachable(start, edges)
    for page_id in edges:
        if page_id not in reached:
            checker.issue(page_id, None, "script-page-unreachable",
                          f"page {page_id!r}: no path from the start page {start!r} "
                          "reaches it")  # fmt: skip


def validate(definition: Any, known: Iterable[str] | None = None) -> list[ScriptIssue]:
    """Every problem of `definition` (empty: valid). `known`: the merge fields allowed (the bound
    campaign's); None: the built-in fields and those the definition declares in ``fields``."""
    if not isinstance(definition, Mapping):
        return [ScriptIssue(None, None, "script-not-object", "a script is a JSON object")]
    allowed = set(known) if known is not None else {*BUILT_IN, *declared_fields(definition)}
    checker = _Checker(allowed)
    checker.keys(definition, SCRIPT_KEYS, None, None, "a script")
    _fields_issue(definition, checker)
    edges = _pages(definition, checker)
    checker.objections(definition.get("objections"))
    _dangling(edges, checker)
    _start(definition.get("start"), edges, checker)
    return checker.issues

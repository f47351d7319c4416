"""Call flows as graphs: the JSON format, its typed form, and validation on save (pure).

Why a graph of small node types: it is what a visual routing builder draws, it can be checked
completely before a single call uses it, and it can be simulated (see `engine`). The JSON is

    {"start": "hours",
     "nodes": [
       {"id": "hours", "type": "time", "timezone": "Europe/Zurich",
        "schedule": {"mon": [["08:00", "12:00"], ["13:30", "17:00"]], ...},
        "holidays": ["2026-12-25", "08-01"], "open": "main", "closed": "bye", "holiday": "bye"},
       {"id": "main", "type": "menu", "prompt": "menu.make_choice",
        "branches": {"1": "sales", "2": "vm"}, "timeout": "bye", "invalid": "bye",
        "retries": 2, "timeout_seconds": 5},
       {"id": "sales", "type": "transfer", "target": {"kind": "ring_group", "value": "sales"}},
       {"id": "vm", "type": "transfer", "target": {"kind": "voicemail", "value": "101"}},
       {"id": "bye", "type": "hangup", "prompt": "common.goodbye"}]}

Node types: `play` (prompt, then `next`, or hang up without one), `menu` (digit branches plus
`timeout`/`invalid` branches after `retries`), `time` (weekly schedule, holidays, zone),
`transfer` (extension, ring group, queue, conference room, voicemail, external number),
`language` (digit → language, then `next`) and `hangup`. A prompt is a catalog key
("menu.welcome"), a tenant media file ({"media": 12}) or text for the TTS engine ({"text":
"Hello"} or per language {"text": {"de": "Hallo", "en": "Hello"}}).

Validation collects *every* problem (node id, stable error id, field) instead of stopping at the
first, so an editor can mark them all: malformed nodes, dangling branches, unreachable nodes, and
loops that never wait for the caller (a cycle is legal only through a menu or language node,
otherwise the flow would spin without input).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from centrex.errors import ValidationFailed
from centrex.provisioning.flow_schedule import ScheduleError, WeeklySchedule, parse_schedule
from centrex.provisioning.prompt_catalog import LANGUAGES, is_known_key

MAX_NODES = 500
NODE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
DIGITS = re.compile(r"[0-9*#]{1,8}")
TRANSFER_KINDS = frozenset(
    {"extension", "ring_group", "queue", "conference", "voicemail", "external"}
)
INPUT_TYPES = frozenset({"menu", "language"})
NODE_TYPES = frozenset({"play", "menu", "time", "transfer", "language", "hangup"})


@dataclass(frozen=True, slots=True)
class FlowIssue:
    """One problem of a flow: which node, a stable error id, what is wrong, which field."""

    node: str | None
    error_id: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "node": self.node,
            "error_id": self.error_id,
            "message": self.message,
            "field": self.field,
        }


class FlowInvalid(ValidationFailed):
    """A flow failed validation; `issues` lists every problem found."""

    error_id = "flow-invalid"

    def __init__(self, issues: Sequence[FlowIssue]) -> None:
        first = issues[0] if issues else None
        summary = f"{len(issues)} problem(s)" + (f", first: {first.message}" if first else "")
        super().__init__(f"call flow is invalid: {summary}", field="graph")
        self.issues: tuple[FlowIssue, ...] = tuple(issues)


@dataclass(frozen=True, slots=True)
class PromptRef:
    """What to play: a catalog `key`, a tenant `media` file id, or TTS `text` per language."""

    key: str | None = None
    media: int | None = None
    text: Mapping[str, str] | None = None

    def text_for(self, language: str) -> str:
        """The TTS text in `language` (falling back to English, then any language given)."""
        assert self.text is not None
        return self.text.get(language) or self.text.get("en") or next(iter(self.text.values()))


@dataclass(frozen=True, slots=True)
class TransferTarget:
    """Where a transfer node sends the call: `kind` in TRANSFER_KINDS and its `value`."""

    kind: str
    value: str


@dataclass(frozen=True, slots=True)
class Node:
    """A parsed node. Only the fields of its `type` are meaningful."""

    id: str
    type: str
    prompt: PromptRef | None = None
    next: str | None = None
    branches: Mapping[str, str] = field(default_factory=dict)
    timeout: str | None = None
    invalid: str | None = None
    retries: int = 2
    timeout_seconds: float = 5.0
    invalid_prompt: PromptRef | None = None
    schedule: WeeklySchedule | None = None
    open: str | None = None
    closed: str | None = None
    holiday: str | None = None
    target: TransferTarget | None = None
    languages: Mapping[str, str] = field(default_factory=dict)

    def edges(self) -> list[tuple[str, str]]:
        """(field, target node id) for every outgoing branch."""
        out: list[tuple[str, str]] = []
        for name in ("next", "timeout", "invalid", "open", "closed", "holiday"):
            target = getattr(self, name)
            if target is not None:
                out.append((name, target))
        out.extend((f"branches.{digit}", target) for digit, target in self.branches.items())
        return out

    @property
    def max_digits(self) -> int:
        """How many digits a menu collects: the length of its longest branch key."""
        keys = self.branches or self.languages
        return max((len(k) for k in keys), default=1)


@dataclass(frozen=True, slots=True)
class Flow:
    """A validated call flow."""

    start: str
    nodes: Mapping[str, Node]


class _Parser:
    """Turns JSON into nodes, recording issues instead of raising."""

    def __init__(self) -> None:
        self.issues: list[FlowIssue] = []

    def issue(self, node: str | None, error_id: str, message: str, where: str | None) -> None:
        self.issues.append(FlowIssue(node, error_id, message, where))

    def ref(self, node: str, raw: dict[str, Any], name: str, *, required: bool) -> str | None:
        value = raw.get(name)
        if value is None:
            if required:
                self.issue(node, "flow-missing-field", f"{name} is required", name)
            return None
        if not isinstance(value, str) or not NODE_ID.fullmatch(value):
            self.issue(node, "flow-bad-node-id", f"{name} must be a node id", name)
            return None
        return value

    def prompt(self, node: str, value: object, where: str) -> PromptRef | None:
        if isinstance(value, str):
            if is_known_key(value):
                return PromptRef(key=value)
            self.issue(node, "flow-bad-prompt", f"unknown prompt key {value!r}", where)
            return None
        if isinstance(value, Mapping) and len(value) == 1:
            if "media" in value and isinstance(value["media"], int) and value["media"] > 0:
                return PromptRef(media=value["media"])
            text = value.get("text")
            if isinstance(text, str) and text.strip():
                return PromptRef(text={lang: text.strip() for lang in LANGUAGES})
            if (
                isinstance(text, Mapping)
                and text
                and all(
                    k in LANGUAGES and isinstance(v, str) and v.strip() for k, v in text.items()
                )
            ):
                return PromptRef(text={str(k): str(v).strip() for k, v in text.items()})
        self.issue(
            node,
            "flow-bad-prompt",
            'a prompt is a catalog key, {"media": ID} or {"text": ...}',
            where,
        )
        return None

    def number(
        self, node: str, raw: dict[str, Any], name: str, default: float, low: float, high: float
    ) -> float:
        value = raw.get(name, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            self.issue(
                node, f"flow-bad-{name.replace('_', '-')}", f"{name} must be {low}..{high}", name
            )
            return default
        return float(value)

    def digit_map(self, node: str, raw: dict[str, Any], name: str) -> dict[str, str]:
        value = raw.get(name)
        if not isinstance(value, Mapping) or not value:
            self.issue(node, "flow-missing-field", f"{name} needs at least one digit", name)
            return {}
        out: dict[str, str] = {}
        for digit, target in value.items():
            where = f"{name}.{digit}"
            if not isinstance(digit, str) or not DIGITS.fullmatch(digit):
                self.issue(node, "flow-bad-digit", f"{digit!r} is not a key (0-9, *, #)", where)
                continue
            if not isinstance(target, str) or not target:
                self.issue(node, "flow-bad-node-id", f"{where} must be a node id", where)
                continue
            out[digit] = target
        return out

    def node(self, raw: dict[str, Any], node_id: str) -> Node | None:
        kind = raw.get("type")
        if kind not in NODE_TYPES:
            self.issue(node_id, "flow-unknown-type", f"unknown node type {kind!r}", "type")
            return None
        prompt_raw = raw.get("prompt")
        prompt = None if prompt_raw is None else self.prompt(node_id, prompt_raw, "prompt")
        if kind == "play":
            if prompt_raw is None:
                self.issue(node_id, "flow-missing-field", "a play node needs a prompt", "prompt")
            return Node(node_id, kind, prompt, next=self.ref(node_id, raw, "next", required=False))
        if kind == "hangup":
            return Node(node_id, kind, prompt)
        if kind == "menu":
            if prompt_raw is None:
                self.issue(node_id, "flow-missing-field", "a menu needs a prompt", "prompt")
            invalid_raw = raw.get("invalid_prompt", "common.invalid")
            return Node(
                node_id,
                kind,
                prompt,
                branches=self.digit_map(node_id, raw, "branches"),
                timeout=self.ref(node_id, raw, "timeout", required=False),
                invalid=self.ref(node_id, raw, "invalid", required=False),
                retries=int(self.number(node_id, raw, "retries", 2, 0, 9)),
                timeout_seconds=self.number(node_id, raw, "timeout_seconds", 5.0, 1, 60),
                invalid_prompt=self.prompt(node_id, invalid_raw, "invalid_prompt"),
            )
        if kind == "language":
            choices = raw.get("choices")
            languages: dict[str, str] = {}
            if not isinstance(choices, Mapping) or not choices:
                self.issue(
                    node_id, "flow-missing-field", "choices needs at least one digit", "choices"
                )
            else:
                for digit, lang in choices.items():
                    if not isinstance(digit, str) or not DIGITS.fullmatch(digit):
                        self.issue(
                            node_id, "flow-bad-digit", f"{digit!r} is not a key", f"choices.{digit}"
                        )
                    elif lang not in LANGUAGES:
                        self.issue(
                            node_id,
                            "flow-bad-language",
                            f"{lang!r} is not one of {', '.join(LANGUAGES)}",
                            f"choices.{digit}",
                        )
                    else:
                        languages[digit] = str(lang)
            return Node(
                node_id,
                kind,
                prompt or PromptRef(key="menu.choose_language"),
                next=self.ref(node_id, raw, "next", required=True),
                retries=int(self.number(node_id, raw, "retries", 1, 0, 9)),
                timeout_seconds=self.number(node_id, raw, "timeout_seconds", 5.0, 1, 60),
                languages=languages,
            )
        if kind == "time":
            schedule = None
            try:
                schedule = parse_schedule(
                    raw.get("schedule"), raw.get("holidays"), raw.get("timezone")
                )
            except ScheduleError as exc:
                self.issue(node_id, exc.error_id, str(exc), exc.field)
            return Node(
                node_id,
                kind,
                schedule=schedule,
                open=self.ref(node_id, raw, "open", required=True),
                closed=self.ref(node_id, raw, "closed", required=True),
                holiday=self.ref(node_id, raw, "holiday", required=False),
            )
        # transfer
        target_raw = raw.get("target")
        target = None
        if (
            isinstance(target_raw, Mapping)
            and target_raw.get("kind") in TRANSFER_KINDS
            and isinstance(target_raw.get("value"), str | int)
            and str(target_raw.get("value")).strip()
        ):
            target = TransferTarget(str(target_raw["kind"]), str(target_raw["value"]).strip())
        else:
            self.issue(
                node_id,
                "flow-bad-target",
                f"target needs kind ({', '.join(sorted(TRANSFER_KINDS))}) and value",
                "target",
            )
        return Node(node_id, kind, prompt, target=target)


def _loops_without_input(nodes: Mapping[str, Node]) -> list[list[str]]:
    """Strongly connected components of the graph restricted to nodes that wait for no input.

    Tarjan's algorithm, iteratively; a component is a loop if it has two nodes or a self-edge.
    """
    graph = {
        nid: [t for _, t in node.edges() if t in nodes and nodes[t].type not in INPUT_TYPES]
        for nid, node in nodes.items()
        if node.type not in INPUT_TYPES
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    loops: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            nid, child = work.pop()
            if child == 0:
                index[nid] = low[nid] = counter
                counter += 1
                stack.append(nid)
                on_stack.add(nid)
            successors = graph[nid]
            if child < len(successors):
                work.append((nid, child + 1))
                succ = successors[child]
                if succ not in index:
                    work.append((succ, 0))
                elif succ in on_stack:
                    low[nid] = min(low[nid], index[succ])
                continue
            if low[nid] == index[nid]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == nid:
                        break
                if len(component) > 1 or nid in graph[nid]:
                    loops.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[nid])
    return loops


def check_flow(data: object) -> tuple[Flow | None, list[FlowIssue]]:
    """Parse and validate; returns the flow (None if unusable) and every issue found."""
    parser = _Parser()
    if not isinstance(data, Mapping):
        return None, [FlowIssue(None, "flow-not-object", "a flow is a JSON object", None)]
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, Sequence) or isinstance(raw_nodes, str) or not raw_nodes:
        return None, [FlowIssue(None, "flow-no-nodes", "a flow needs a list of nodes", "nodes")]
    if len(raw_nodes) > MAX_NODES:
        return None, [
            FlowIssue(None, "flow-too-large", f"a flow has at most {MAX_NODES} nodes", "nodes")
        ]
    nodes: dict[str, Node] = {}
    for position, raw in enumerate(raw_nodes):
        node_id = raw.get("id") if isinstance(raw, Mapping) else None
        if not isinstance(node_id, str) or not NODE_ID.fullmatch(node_id):
            parser.issue(
                None, "flow-bad-node-id", f"node {position} has no valid id", f"nodes.{position}.id"
            )
            continue
        if node_id in nodes:
            parser.issue(node_id, "flow-duplicate-node", f"node id {node_id!r} is used twice", "id")
            continue
        assert isinstance(raw, Mapping)
        node = parser.node(dict(raw), node_id)
        if node is not None:
            nodes[node_id] = node
    start = data.get("start")
    all_ids: set[str] = {
        str(r["id"]) for r in raw_nodes if isinstance(r, Mapping) and isinstance(r.get("id"), str)
    }
    if not isinstance(start, str) or not start:
        parser.issue(None, "flow-missing-start", "the flow needs a start node", "start")
        start = None
    elif start not in all_ids:
        parser.issue(None, "flow-unknown-start", f"start node {start!r} does not exist", "start")
        start = None
    for nid, node in nodes.items():
        for where, target in node.edges():
            if target not in all_ids:
                parser.issue(
                    nid, "flow-dangling-branch", f"{where} points to unknown node {target!r}", where
                )
    if start is not None:
        reached = {start}
        todo = [start]
        while todo:
            current = nodes.get(todo.pop())
            if current is None:
                continue
            for _, target in current.edges():
                if target not in reached:
                    reached.add(target)
                    todo.append(target)
        for nid in sorted(all_ids - reached):
            parser.issue(
                nid, "flow-unreachable-node", f"node {nid!r} cannot be reached from start", None
            )
    for loop in _loops_without_input(nodes):
        parser.issue(
            loop[0],
            "flow-loop-without-input",
            f"nodes {', '.join(loop)} loop without waiting for the caller (add a menu)",
            None,
        )
    if parser.issues or start is None:
        return None, parser.issues
    return Flow(start, nodes), []


def parse_flow(data: object) -> Flow:
    """The validated flow, or `FlowInvalid` with every issue."""
    flow, issues = check_flow(data)
    if flow is None:
        raise FlowInvalid(issues)
    return flow


def media_references(data: Mapping[str, Any]) -> set[int]:
    """Ids of tenant media files a (valid) flow plays: the service checks they are the tenant's."""
    flow = parse_flow(data)
    found: set[int] = set()
    for node in flow.nodes.values():
        for ref in (node.prompt, node.invalid_prompt):
            if ref is not None and ref.media is not None:
                found.add(ref.media)
    return found


def transfer_targets(flow: Flow) -> list[tuple[str, TransferTarget]]:
    """(node id, target) of every transfer node, for reference checks against the tenant."""
    return [(n.id, n.target) for n in flow.nodes.values() if n.target is not None]

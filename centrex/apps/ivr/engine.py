"""The call-flow interpreter and the simulator (pure).

Theory of operation: a flow runs as a generator of *instructions*. The interpreter walks the
graph and yields `Say` (play prompts, resume with None) or `Ask` (play a prompt and collect
digits, resume with the digits, "" on timeout), and finally `Done` with the final action
(transfer or hang-up). Nothing here touches audio or time: the runner (`runner.py`) answers the
instructions from a live channel, the simulator from a list of digits, so both follow exactly the
same path through the graph. Time conditions are evaluated at the `now` given when the flow
starts (a call spends seconds in a flow; opening hours change by the minute).

Menu semantics: after a digit sequence that matches a branch, go there. On a timeout or an
invalid entry (which also plays the invalid-choice prompt) try again; after `retries` extra
attempts follow the `timeout` (or `invalid`) branch of the last failure, falling back to the
other one, and hang up when neither exists. A language node works the same way but keeps the
current language and goes on to `next` when the caller chooses nothing.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from centrex.provisioning.flow_graph import Flow, Node, PromptRef, TransferTarget
from centrex.provisioning.prompt_catalog import normalise_language

DEFAULT_MAX_STEPS = 500


@dataclass(frozen=True, slots=True)
class Say:
    """Play these prompts in `language` (resume the generator with None)."""

    node: str
    prompts: tuple[PromptRef, ...]
    language: str


@dataclass(frozen=True, slots=True)
class Ask:
    """Play `prompt` and collect up to `max_digits` (resume with the digits, "" on timeout)."""

    node: str
    prompt: PromptRef | None
    max_digits: int
    timeout_seconds: float
    language: str
    terminator: str = "#"


@dataclass(frozen=True, slots=True)
class Transfer:
    """Final action: hand the call to `target`."""

    target: TransferTarget


@dataclass(frozen=True, slots=True)
class Hangup:
    """Final action: end the call (`reason` says why, e.g. "node", "no-choice", "step-limit")."""

    reason: str = "node"


@dataclass(frozen=True, slots=True)
class Step:
    """One node visited and what happened there ("open", "digit 1", "timeout", ...)."""

    node: str
    type: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Done:
    """The flow has finished with `action`; `path` lists every node visited."""

    action: Transfer | Hangup
    path: tuple[Step, ...]
    language: str


Instruction = Say | Ask | Done
FlowProgram = Generator[Instruction, str | None, None]


def execute(
    flow: Flow, *, now: datetime, language: str, max_steps: int = DEFAULT_MAX_STEPS
) -> FlowProgram:
    """Run `flow` as a generator of instructions (see the module docstring)."""
    lang = normalise_language(language)
    path: list[Step] = []
    current: str | None = flow.start
    steps = 0
    while current is not None:
        steps += 1
        if steps > max_steps:
            yield Done(Hangup("step-limit"), tuple(path), lang)
            return
        node = flow.nodes[current]
        if node.type == "play":
            assert node.prompt is not None
            yield Say(node.id, (node.prompt,), lang)
            path.append(Step(node.id, "play", "played"))
            current = node.next
        elif node.type == "time":
            assert node.schedule is not None
            state = node.schedule.state(now)
            path.append(Step(node.id, "time", state.value))
            if state.value == "open":
                current = node.open
            elif state.value == "holiday" and node.holiday is not None:
                current = node.holiday
            else:
                current = node.closed
        elif node.type in ("menu", "language"):
            chosen, outcome = yield from _collect(node, lang)
            path.append(Step(node.id, node.type, outcome))
            if node.type == "language":
                if chosen is not None:
                    lang = node.languages[chosen]
                current = node.next
            elif chosen is not None:
                current = node.branches[chosen]
            else:
                current = _failure_branch(node, outcome)
                if current is None:
                    yield Done(Hangup("no-choice"), tuple(path), lang)
                    return
        elif node.type == "transfer":
            assert node.target is not None
            if node.prompt is not None:
                yield Say(node.id, (node.prompt,), lang)
            path.append(Step(node.id, "transfer", f"{node.target.kind} {node.target.value}"))
            yield Done(Transfer(node.target), tuple(path), lang)
            return
        else:  # hangup
            if node.prompt is not None:
                yield Say(node.id, (node.prompt,), lang)
            path.append(Step(node.id, "hangup", "hangup"))
            yield Done(Hangup("node"), tuple(path), lang)
            return
    yield Done(Hangup("end"), tuple(path), lang)


def _failure_branch(node: Node, outcome: str) -> str | None:
    if outcome == "timeout":
        return node.timeout or node.invalid
    return node.invalid or node.timeout


def _collect(
    node: Node, language: str
) -> Generator[Instruction, str | None, tuple[str | None, str]]:
    """Ask until a valid choice or the retries run out: (choice or None, outcome)."""
    choices = node.branches if node.type == "menu" else node.languages
    outcome = "timeout"
    for _attempt in range(node.retries + 1):
        answer = yield Ask(node.id, node.prompt, node.max_digits, node.timeout_seconds, language)
        digits = answer or ""
        if digits not in choices and digits.endswith("#") and digits[:-1] in choices:
            digits = digits[:-1]  # the terminator ends a shorter entry
        if digits in choices:
            return digits, f"digit {digits}"
        if not digits:
            outcome = "timeout"
        else:
            outcome = "invalid"
            if node.invalid_prompt is not None:
                yield Say(node.id, (node.invalid_prompt,), language)
    return None, outcome


@dataclass(frozen=True, slots=True)
class Simulation:
    """What `simulate` found: the nodes visited, the final action, and the prompts played."""

    path: tuple[Step, ...]
    action: Transfer | Hangup
    language: str
    played: tuple[tuple[str, str], ...] = field(default=())
    inputs_used: int = 0


def _describe(ref: PromptRef | None) -> str:
    if ref is None:
        return ""
    if ref.key is not None:
        return ref.key
    if ref.media is not None:
        return f"media:{ref.media}"
    return "text"


def simulate(
    flow: Flow,
    *,
    now: datetime,
    digits: Sequence[str] | str = (),
    language: str = "en",
    max_steps: int = DEFAULT_MAX_STEPS,
) -> Simulation:
    """Run the flow against scripted input: each item of `digits` answers one question.

    A string is one key press per character; a list allows multi-digit answers and "" for a
    timeout. When the script runs out, every further question times out.
    """
    inputs = list(digits)
    used = 0
    played: list[tuple[str, str]] = []
    program = execute(flow, now=now, language=language, max_steps=max_steps)
    instruction = next(program)
    while True:
        if isinstance(instruction, Done):
            program.close()
            return Simulation(
                instruction.path, instruction.action, instruction.language, tuple(played), used
            )
        if isinstance(instruction, Say):
            played.extend((instruction.node, _describe(p)) for p in instruction.prompts)
            instruction = program.send(None)
        else:
            played.append((instruction.node, _describe(instruction.prompt)))
            answer = ""
            if used < len(inputs):
                answer = inputs[used]
                used += 1
            instruction = program.send(answer)

"""SIP transactions as explicit state tables (RFC 3261 §17, RFC 6026).

Theory of operation
-------------------
A transaction is one request and the responses to it (RFC 3261 §17). There are four machines:
INVITE client (§17.1.1, Figure 5), non-INVITE client (§17.1.2, Figure 6), INVITE server
(§17.2.1, Figure 7) and non-INVITE server (§17.2.2, Figure 8). RFC 6026 §7.1/§8.4 adds the
"Accepted" state to both INVITE machines, so a 2xx ends neither transaction at once: the client
keeps passing 2xx retransmissions to its TU until Timer M, the server absorbs INVITE
retransmissions until Timer L (the TU, not the transaction, retransmits the 2xx).

Each machine is a table `(state, input) -> (action, next state)`; an input with no entry is a
protocol error (`TransactionError`) which the endpoint counts and drops. The transaction
objects only perform the action and arm the timers of the state they enter, so the tables are
the whole behaviour and tests sweep every pair. Inputs are responses (by class), requests
(retransmissions, ACK), responses handed down by the TU, timers, and transport errors.
Timers are deadlines on the caller's clock (see timers.py); nothing here reads time.
Retransmission timers exist only on unreliable transports (§17.1.1.2, §17.1.2.2, §17.2.1).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

from centrex.sip.builders import build_ack
from centrex.sip.errors import TransactionError
from centrex.sip.message import Message, Request, Response
from centrex.sip.timers import TimerConfig, TimerName, TimerSet

_S = TypeVar("_S", bound=enum.Enum)
_I = TypeVar("_I", bound=enum.Enum)
Table = dict[tuple[_S, _I], tuple["Action", _S]]


class Action(enum.Enum):
    """What a transition does besides changing state."""

    NONE = enum.auto()
    RETRANSMIT_REQUEST = enum.auto()
    PASS_RESPONSE = enum.auto()  # hand the response to the TU
    SEND_ACK_PASS_RESPONSE = enum.auto()  # non-2xx final to INVITE (§17.1.1.3)
    RESEND_ACK = enum.auto()
    REPORT_TIMEOUT = enum.auto()
    REPORT_TRANSPORT_ERROR = enum.auto()
    ABSORB = enum.auto()  # a retransmission with nothing to do
    SEND_RESPONSE = enum.auto()  # a response from the TU
    RESEND_RESPONSE = enum.auto()  # the last response again
    PASS_ACK = enum.auto()  # RFC 6026: ACK for a 2xx, to the TU


# ---- INVITE client (§17.1.1, RFC 6026 §8.4) -------------------------------------------------
class ClientInviteState(enum.Enum):
    CALLING = "calling"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    ACCEPTED = "accepted"
    TERMINATED = "terminated"


class ClientInviteInput(enum.Enum):
    RESPONSE_1XX = "1xx"
    RESPONSE_2XX = "2xx"
    RESPONSE_FINAL = "300-699"
    TIMER_A = "A"
    TIMER_B = "B"
    TIMER_D = "D"
    TIMER_M = "M"
    TRANSPORT_ERROR = "transport-error"


_CI, _CII = ClientInviteState, ClientInviteInput
CLIENT_INVITE_TABLE: Table[ClientInviteState, ClientInviteInput] = {
    (_CI.CALLING, _CII.TIMER_A): (Action.RETRANSMIT_REQUEST, _CI.CALLING),
    (_CI.CALLING, _CII.TIMER_B): (Action.REPORT_TIMEOUT, _CI.TERMINATED),
    (_CI.CALLING, _CII.TRANSPORT_ERROR): (Action.REPORT_TRANSPORT_ERROR, _CI.TERMINATED),
    (_CI.CALLING, _CII.RESPONSE_1XX): (Action.PASS_RESPONSE, _CI.PROCEEDING),
    (_CI.CALLING, _CII.RESPONSE_2XX): (Action.PASS_RESPONSE, _CI.ACCEPTED),
    (_CI.CALLING, _CII.RESPONSE_FINAL): (Action.SEND_ACK_PASS_RESPONSE, _CI.COMPLETED),
    (_CI.PROCEEDING, _CII.RESPONSE_1XX): (Action.PASS_RESPONSE, _CI.PROCEEDING),
    (_CI.PROCEEDING, _CII.RESPONSE_2XX): (Action.PASS_RESPONSE, _CI.ACCEPTED),
    (_CI.PROCEEDING, _CII.RESPONSE_FINAL): (Action.SEND_ACK_PASS_RESPONSE, _CI.COMPLETED),
    (_CI.COMPLETED, _CII.RESPONSE_FINAL): (Action.RESEND_ACK, _CI.COMPLETED),
    (_CI.COMPLETED, _CII.TRANSPORT_ERROR): (Action.REPORT_TRANSPORT_ERROR, _CI.TERMINATED),
    (_CI.COMPLETED, _CII.TIMER_D): (Action.NONE, _CI.TERMINATED),
    (_CI.ACCEPTED, _CII.RESPONSE_2XX): (Action.PASS_RESPONSE, _CI.ACCEPTED),
    (_CI.ACCEPTED, _CII.TIMER_M): (Action.NONE, _CI.TERMINATED),
}  # fmt: skip


# ---- non-INVITE client (§17.1.2) -------------------------------------------------------------
class ClientNonInviteState(enum.Enum):
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class ClientNonInviteInput(enum.Enum):
    RESPONSE_1XX = "1xx"
    RESPONSE_FINAL = "200-699"
    TIMER_E = "E"
    TIMER_F = "F"
    TIMER_K = "K"
    TRANSPORT_ERROR = "transport-error"


_CN, _CNI = ClientNonInviteState, ClientNonInviteInput
CLIENT_NON_INVITE_TABLE: Table[ClientNonInviteState, ClientNonInviteInput] = {
    (_CN.TRYING, _CNI.TIMER_E): (Action.RETRANSMIT_REQUEST, _CN.TRYING),
    (_CN.TRYING, _CNI.TIMER_F): (Action.REPORT_TIMEOUT, _CN.TERMINATED),
    (_CN.TRYING, _CNI.TRANSPORT_ERROR): (Action.REPORT_TRANSPORT_ERROR, _CN.TERMINATED),
    (_CN.TRYING, _CNI.RESPONSE_1XX): (Action.PASS_RESPONSE, _CN.PROCEEDING),
    (_CN.TRYING, _CNI.RESPONSE_FINAL): (Action.PASS_RESPONSE, _CN.COMPLETED),
    (_CN.PROCEEDING, _CNI.TIMER_E): (Action.RETRANSMIT_REQUEST, _CN.PROCEEDING),
    (_CN.PROCEEDING, _CNI.TIMER_F): (Action.REPORT_TIMEOUT, _CN.TERMINATED),
    (_CN.PROCEEDING, _CNI.TRANSPORT_ERROR): (Action.REPORT_TRANSPORT_ERROR, _CN.TERMINATED),
    (_CN.PROCEEDING, _CNI.RESPONSE_1XX): (Action.PASS_RESPONSE, _CN.PROCEEDING),
    (_CN.PROCEEDING, _CNI.RESPONSE_FINAL): (Action.PASS_RESPONSE, _CN.COMPLETED),
    (_CN.COMPLETED, _CNI.RESPONSE_1XX): (Action.ABSORB, _CN.COMPLETED),
    (_CN.COMPLETED, _CNI.RESPONSE_FINAL): (Action.ABSORB, _CN.COMPLETED),
    (_CN.COMPLETED, _CNI.TIMER_K): (Action.NONE, _CN.TERMINATED),
}  # fmt: skip


# ---- INVITE server (§17.2.1, RFC 6026 §7.1) --------------------------------------------------
class ServerInviteState(enum.Enum):
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    ACCEPTED = "accepted"
    TERMINATED = "terminated"


class ServerInviteInput(enum.Enum):
    REQUEST = "invite-retransmission"
    ACK = "ack"
    SEND_1XX = "tu-1xx"
    SEND_2XX = "tu-2xx"
    SEND_FINAL = "tu-300-699"
    TIMER_G = "G"
    TIMER_H = "H"
    TIMER_I = "I"
    TIMER_L = "L"
    TRANSPORT_ERROR = "transport-error"


_SI, _SII = ServerInviteState, ServerInviteInput
SERVER_INVITE_TABLE: Table[ServerInviteState, ServerInviteInput] = {
    (_SI.PROCEEDING, _SII.REQUEST): (Action.RESEND_RESPONSE, _SI.PROCEEDING),
    (_SI.PROCEEDING, _SII.SEND_1XX): (Action.SEND_RESPONSE, _SI.PROCEEDING),
    (_SI.PROCEEDING, _SII.SEND_2XX): (Action.SEND_RESPONSE, _SI.ACCEPTED),
    (_SI.PROCEEDING, _SII.SEND_FINAL): (Action.SEND_RESPONSE, _SI.COMPLETED),
    (_SI.PROCEEDING, _SII.TRANSPORT_ERROR): (Action.REPORT_TRANSPORT_ERROR, _SI.TERMINATED),
    (_SI.COMPLETED, _SII.REQUEST): (Action.RESEND_RESPONSE, _SI.COMPLETED),
    (_SI.COMPLETED, _SII.TIMER_G): (Action.RESEND_RESPONSE, _SI.COMPLETED),
    (_SI.COMPLETED, _SII.ACK): (Action.NONE, _SI.CONFIRMED),
    (_SI.COMPLETED, _SII.TIMER_H): (Action.REPORT_TIMEOUT, _SI.TERMINATED),
    (_SI.COMPLETED, _SII.TRANSPORT_ERROR): (Action.REPORT_TRANSPORT_ERROR, _SI.TERMINATED),
    (_SI.CONFIRMED, _SII.ACK): (Action.ABSORB, _SI.CONFIRMED),
    (_SI.CONFIRMED, _SII.REQUEST): (Action.ABSORB, _SI.CONFIRMED),
    (_SI.CONFIRMED, _SII.TIMER_I): (Action.NONE, _SI.TERMINATED),
    (_SI.ACCEPTED, _SII.REQUEST): (Action.ABSORB, _SI.ACCEPTED),
    (_SI.ACCEPTED, _SII.SEND_2XX): (Action.SEND_RESPONSE, _SI.ACCEPTED),
    (_SI.ACCEPTED, _SII.ACK): (Action.PASS_ACK, _SI.ACCEPTED),
    (_SI.ACCEPTED, _SII.TRANSPORT_ERROR): (Action.REPORT_TRANSPORT_ERROR, _SI.ACCEPTED),
    (_SI.ACCEPTED, _SII.TIMER_L): (Action.NONE, _SI.TERMINATED),
}  # fmt: skip


# ---- non-INVITE server (§17.2.2) -------------------------------------------------------------
class ServerNonInviteState(enum.Enum):
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class ServerNonInviteInput(enum.Enum):
    REQUEST = "retransmission"
    SEND_1XX = "tu-1xx"
    SEND_FINAL = "tu-200-699"
    TIMER_J = "J"
    TRANSPORT_ERROR = "transport-error"


_SN, _SNI = ServerNonInviteState, ServerNonInviteInput
SERVER_NON_INVITE_TABLE: Table[ServerNonInviteState, ServerNonInviteInput] = {
    (_SN.TRYING, _SNI.REQUEST): (Action.ABSORB, _SN.TRYING),
    (_SN.TRYING, _SNI.SEND_1XX): (Action.SEND_RESPONSE, _SN.PROCEEDING),
    (_SN.TRYING, _SNI.SEND_FINAL): (Action.SEND_RESPONSE, _SN.COMPLETED),
    (_SN.PROCEEDING, _SNI.REQUEST): (Action.RESEND_RESPONSE, _SN.PROCEEDING),
    (_SN.PROCEEDING, _SNI.SEND_1XX): (Action.SEND_RESPONSE, _SN.PROCEEDING),
    (_SN.PROCEEDING, _SNI.SEND_FINAL): (Action.SEND_RESPONSE, _SN.COMPLETED),
    (_SN.PROCEEDING, _SNI.TRANSPORT_ERROR): (Action.REPORT_TRANSPORT_ERROR, _SN.TERMINATED),
    (_SN.COMPLETED, _SNI.REQUEST): (Action.RESEND_RESPONSE, _SN.COMPLETED),
    (_SN.COMPLETED, _SNI.TRANSPORT_ERROR): (Action.REPORT_TRANSPORT_ERROR, _SN.TERMINATED),
    (_SN.COMPLETED, _SNI.TIMER_J): (Action.NONE, _SN.TERMINATED),
}  # fmt: skip


def transition(
    table: dict[tuple[_S, _I], tuple[Action, _S]], state: _S, event: _I
) -> tuple[Action, _S]:
    """Look up a move; anything not in the table is a protocol error."""
    try:
        return table[(state, event)]
    except KeyError:
        raise TransactionError(f"no move for {event.name} in state {state.name}") from None


# ---- what a transaction asks its owner to do --------------------------------------------------
@dataclass(frozen=True, slots=True)
class Send:
    """Put `message` on the wire towards the transaction's peer."""

    message: Message
    retransmission: bool = False


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand `message` to the transaction user (a response, or an ACK for a 2xx)."""

    message: Message


@dataclass(frozen=True, slots=True)
class Timeout:
    """The transaction timed out (Timer B, F or H)."""


@dataclass(frozen=True, slots=True)
class TransportFailed:
    """The transport could not send a message of this transaction."""


Output = Send | Deliver | Timeout | TransportFailed
_TIMER_INPUTS = {
    "TIMER_A": TimerName.A, "TIMER_B": TimerName.B, "TIMER_D": TimerName.D, "TIMER_E": TimerName.E,
    "TIMER_F": TimerName.F, "TIMER_G": TimerName.G, "TIMER_H": TimerName.H, "TIMER_I": TimerName.I,
    "TIMER_J": TimerName.J, "TIMER_K": TimerName.K, "TIMER_L": TimerName.L, "TIMER_M": TimerName.M,
}  # fmt: skip


class Transaction(Generic[_S, _I]):
    """What the four machines share: the table walk, timers, the last message sent."""

    TABLE: Table[_S, _I]
    INPUTS: type[_I]
    TERMINATED: _S

    def __init__(
        self, key: object, request: Request, state: _S, reliable: bool, config: TimerConfig
    ) -> None:
        self.key = key
        self.request = request
        self.state: _S = state
        self.reliable = reliable
        self.config = config
        self.timers = TimerSet()
        self.last_response: Response | None = None
        # deadline of the timer being handled, so retransmission timers re-arm from it
        self._fired_at = 0.0

    @property
    def terminated(self) -> bool:
        """True once the machine reached Terminated."""
        return self.state == self.TERMINATED

    def next_deadline(self) -> float | None:
        """Earliest armed timer."""
        return self.timers.next_deadline()

    def _step(self, event: _I, now: float, message: Message | None = None) -> list[Output]:
        action, new_state = transition(self.TABLE, self.state, event)
        old = self.state
        outputs = self._act(action, event, now, message)
        self.state = new_state
        if new_state != old:
            self._enter(new_state, now)
        return outputs

    def handle_timer(self, now: float) -> list[Output]:
        """Fire every due timer in deadline order."""
        outputs: list[Output] = []
        while not self.terminated:
            name = self.timers.earliest_due(now)
            if name is None:
                break
            self._fired_at = self.timers.fire(name)
            event = self.INPUTS[f"TIMER_{name.value}"]
            outputs.extend(self._step(event, now))
        return outputs

    def transport_error(self, now: float) -> list[Output]:
        """The transport failed to send for this transaction (§17.1.4, §17.2.4)."""
        return self._step(self.INPUTS["TRANSPORT_ERROR"], now)

    def _act(self, action: Action, event: _I, now: float, message: Message | None) -> list[Output]:
        raise NotImplementedError

    def _enter(self, state: _S, now: float) -> None:
        raise NotImplementedError

    def _common(self, action: Action, message: Message | None) -> list[Output]:
        if action is Action.REPORT_TIMEOUT:
            return [Timeout()]
        if action is Action.REPORT_TRANSPORT_ERROR:
            return [TransportFailed()]
        if action is Action.PASS_RESPONSE and message is not None:
            return [Deliver(message)]
        return []


class ClientInviteTransaction(Transaction[ClientInviteState, ClientInviteInput]):
    """INVITE client transaction (§17.1.1 with RFC 6026's Accepted state)."""

    TABLE = CLIENT_INVITE_TABLE
    INPUTS = ClientInviteInput
    TERMINATED = ClientInviteState.TERMINATED

    def __init__(self, key: object, request: Request, reliable: bool, config: TimerConfig) -> None:
        super().__init__(key, request, ClientInviteState.CALLING, reliable, config)
        self.ack: Request | None = None

    def start(self, now: float) -> list[Output]:
        """Send the INVITE; arm A (unreliable only) and B (§17.1.1.2)."""
        if not self.reliable:
            self.timers.start(TimerName.A, now, self.config.t1)
        self.timers.start(TimerName.B, now, self.config.transaction_timeout)
        return [Send(self.request)]

    def receive_response(self, response: Response, now: float) -> list[Output]:
        """Feed a response matched to this transaction (§17.1.3)."""
        if response.status < 200:
            event = ClientInviteInput.RESPONSE_1XX
        elif response.status < 300:
            event = ClientInviteInput.RESPONSE_2XX
        else:
            event = ClientInviteInput.RESPONSE_FINAL
        return self._step(event, now, response)

    def _act(
        self, action: Action, event: ClientInviteInput, now: float, message: Message | None
    ) -> list[Output]:
        if action is Action.RETRANSMIT_REQUEST:
            # §17.1.1.2: Timer A doubles each time (no T2 cap for INVITE)
            interval = self.timers.interval(TimerName.A) * 2
            self.timers.rearm(TimerName.A, self._fired_at, interval)
            return [Send(self.request, retransmission=True)]
        if action is Action.SEND_ACK_PASS_RESPONSE:
            assert isinstance(message, Response)
            self.ack = build_ack(self.request, message)
            return [Send(self.ack), Deliver(message)]
        if action is Action.RESEND_ACK:
            return [Send(self.ack, retransmission=True)] if self.ack is not None else []
        return self._common(action, message)

    def _enter(self, state: ClientInviteState, now: float) -> None:
        self.timers.cancel(TimerName.A, TimerName.B)
        if state is ClientInviteState.COMPLETED:
            self.timers.start(TimerName.D, now, self.config.timer_d(self.reliable))
        elif state is ClientInviteState.ACCEPTED:
            self.timers.start(TimerName.M, now, self.config.transaction_timeout)
        elif state is ClientInviteState.TERMINATED:
            self.timers.clear()


class ClientNonInviteTransaction(Transaction[ClientNonInviteState, ClientNonInviteInput]):
    """Non-INVITE client transaction (§17.1.2)."""

    TABLE = CLIENT_NON_INVITE_TABLE
    INPUTS = ClientNonInviteInput
    TERMINATED = ClientNonInviteState.TERMINATED

    def __init__(self, key: object, request: Request, reliable: bool, config: TimerConfig) -> None:
        super().__init__(key, request, ClientNonInviteState.TRYING, reliable, config)

    def start(self, now: float) -> list[Output]:
        """Send the request; arm E (unreliable only) and F (§17.1.2.2)."""
        if not self.reliable:
            self.timers.start(TimerName.E, now, self.config.t1)
        self.timers.start(TimerName.F, now, self.config.transaction_timeout)
        return [Send(self.request)]

    def receive_response(self, response: Response, now: float) -> list[Output]:
        """Feed a response matched to this transaction (§17.1.3)."""
        event = (
            ClientNonInviteInput.RESPONSE_1XX
            if response.status < 200
            else ClientNonInviteInput.RESPONSE_FINAL
        )
        return self._step(event, now, response)

    def _act(
        self, action: Action, event: ClientNonInviteInput, now: float, message: Message | None
    ) -> list[Output]:
        if action is Action.RETRANSMIT_REQUEST:
            # §17.1.2.2: E doubles up to T2 in Trying, and is T2 in Proceeding
            if self.state is ClientNonInviteState.PROCEEDING:
                interval = self.config.t2
            else:
                interval = min(self.timers.interval(TimerName.E) * 2, self.config.t2)
            self.timers.rearm(TimerName.E, self._fired_at, interval)
            return [Send(self.request, retransmission=True)]
        return self._common(action, message)

    def _enter(self, state: ClientNonInviteState, now: float) -> None:
        if state is ClientNonInviteState.COMPLETED:
            self.timers.cancel(TimerName.E, TimerName.F)
            self.timers.start(TimerName.K, now, self.config.timer_k(self.reliable))
        elif state is ClientNonInviteState.TERMINATED:
            self.timers.clear()


class ServerInviteTransaction(Transaction[ServerInviteState, ServerInviteInput]):
    """INVITE server transaction (§17.2.1 with RFC 6026's Accepted state)."""

    TABLE = SERVER_INVITE_TABLE
    INPUTS = ServerInviteInput
    TERMINATED = ServerInviteState.TERMINATED

    def __init__(self, key: object, request: Request, reliable: bool, config: TimerConfig) -> None:
        super().__init__(key, request, ServerInviteState.PROCEEDING, reliable, config)

    def receive_request(self, request: Request, now: float) -> list[Output]:
        """A retransmitted INVITE or an ACK matched to this transaction (§17.2.3)."""
        event = ServerInviteInput.ACK if request.method == "ACK" else ServerInviteInput.REQUEST
        return self._step(event, now, request)

    def send_response(self, response: Response, now: float) -> list[Output]:
        """A response from the TU."""
        if response.status < 200:
            event = ServerInviteInput.SEND_1XX
        elif response.status < 300:
            event = ServerInviteInput.SEND_2XX
        else:
            event = ServerInviteInput.SEND_FINAL
        return self._step(event, now, response)

    def _act(
        self, action: Action, event: ServerInviteInput, now: float, message: Message | None
    ) -> list[Output]:
        if action is Action.SEND_RESPONSE:
            assert isinstance(message, Response)
            self.last_response = message
            return [Send(message)]
        if action is Action.RESEND_RESPONSE:
            if event is ServerInviteInput.TIMER_G:
                # §17.2.1: G doubles up to T2
                interval = min(self.timers.interval(TimerName.G) * 2, self.config.t2)
                self.timers.rearm(TimerName.G, self._fired_at, interval)
            if self.last_response is None:
                return []
            return [Send(self.last_response, retransmission=True)]
        if action is Action.PASS_ACK and message is not None:
            return [Deliver(message)]
        return self._common(action, message)

    def _enter(self, state: ServerInviteState, now: float) -> None:
        if state is ServerInviteState.COMPLETED:
            if not self.reliable:
                self.timers.start(TimerName.G, now, self.config.t1)
            self.timers.start(TimerName.H, now, self.config.transaction_timeout)
        elif state is ServerInviteState.CONFIRMED:
            self.timers.cancel(TimerName.G, TimerName.H)
            self.timers.start(TimerName.I, now, self.config.timer_i(self.reliable))
        elif state is ServerInviteState.ACCEPTED:
            self.timers.start(TimerName.L, now, self.config.transaction_timeout)
        elif state is ServerInviteState.TERMINATED:
            self.timers.clear()


class ServerNonInviteTransaction(Transaction[ServerNonInviteState, ServerNonInviteInput]):
    """Non-INVITE server transaction (§17.2.2)."""

    TABLE = SERVER_NON_INVITE_TABLE
    INPUTS = ServerNonInviteInput
    TERMINATED = ServerNonInviteState.TERMINATED

    def __init__(self, key: object, request: Request, reliable: bool, config: TimerConfig) -> None:
        super().__init__(key, request, ServerNonInviteState.TRYING, reliable, config)

    def receive_request(self, request: Request, now: float) -> list[Output]:
        """A retransmission of the request (§17.2.2)."""
        return self._step(ServerNonInviteInput.REQUEST, now, request)

    def send_response(self, response: Response, now: float) -> list[Output]:
        """A response from the TU."""
        event = (
            ServerNonInviteInput.SEND_1XX
            if response.status < 200
            else ServerNonInviteInput.SEND_FINAL
        )
        return self._step(event, now, response)

    def _act(
        self, action: Action, event: ServerNonInviteInput, now: float, message: Message | None
    ) -> list[Output]:
        if action is Action.SEND_RESPONSE:
            assert isinstance(message, Response)
            self.last_response = message
            return [Send(message)]
        if action is Action.RESEND_RESPONSE and self.last_response is not None:
            return [Send(self.last_response, retransmission=True)]
        return self._common(action, message)

    def _enter(self, state: ServerNonInviteState, now: float) -> None:
        if state is ServerNonInviteState.COMPLETED:
            self.timers.start(TimerName.J, now, self.config.timer_j(self.reliable))
        elif state is ServerNonInviteState.TERMINATED:
            self.timers.clear()


ClientTransaction = ClientInviteTransaction | ClientNonInviteTransaction
ServerTransaction = ServerInviteTransaction | ServerNonInviteTransaction

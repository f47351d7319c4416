"""Transaction state tables and timers (RFC 3261 §17, RFC 6026) with exact deadlines."""

from __future__ import annotations

import enum

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from centrex.sip import parse_message
from centrex.sip.builders import build_response
from centrex.sip.errors import TransactionError
from centrex.sip.matching import client_key, invite_key_for_cancel, server_key
from centrex.sip.message import Request
from centrex.sip.timers import TimerConfig, TimerName
from centrex.sip.transaction import (
    CLIENT_INVITE_TABLE,
    CLIENT_NON_INVITE_TABLE,
    SERVER_INVITE_TABLE,
    SERVER_NON_INVITE_TABLE,
    Action,
    ClientInviteInput,
    ClientInviteState,
    ClientInviteTransaction,
    ClientNonInviteInput,
    ClientNonInviteState,
    ClientNonInviteTransaction,
    Deliver,
    Send,
    ServerInviteInput,
    ServerInviteState,
    ServerInviteTransaction,
    ServerNonInviteInput,
    ServerNonInviteState,
    ServerNonInviteTransaction,
    Timeout,
    TransportFailed,
    transition,
)
from tests.sip import fixtures as fx

CONFIG = TimerConfig()
MACHINES = [
    (CLIENT_INVITE_TABLE, ClientInviteState, ClientInviteInput),
    (CLIENT_NON_INVITE_TABLE, ClientNonInviteState, ClientNonInviteInput),
    (SERVER_INVITE_TABLE, ServerInviteState, ServerInviteInput),
    (SERVER_NON_INVITE_TABLE, ServerNonInviteState, ServerNonInviteInput),
]


def _invite() -> Request:
    msg = parse_message(fx.INVITE)
    assert isinstance(msg, Request)
    return msg


def _options() -> Request:
    msg = parse_message(fx.base_request())
    assert isinstance(msg, Request)
    return msg


def _fire_all(
    tx: ClientInviteTransaction | ClientNonInviteTransaction | ServerInviteTransaction, until: float
) -> list[tuple[float, list[object]]]:
    """Drive timers deadline by deadline; return (time, outputs) for each wake-up."""
    log: list[tuple[float, list[object]]] = []
    while True:
        deadline = tx.next_deadline()
        if deadline is None or deadline > until:
            return log
        log.append((deadline, list(tx.handle_timer(deadline))))


@pytest.mark.parametrize(("table", "states", "inputs"), MACHINES)
def test_every_pair_is_a_move_or_a_protocol_error(
    table: dict, states: type[enum.Enum], inputs: type[enum.Enum]
) -> None:  # type: ignore[type-arg]
    for state in states:
        for event in inputs:
            if (state, event) in table:
                action, nxt = transition(table, state, event)
                assert isinstance(action, Action)
                assert isinstance(nxt, states)
            else:
                with pytest.raises(TransactionError):
                    transition(table, state, event)
    terminated = states["TERMINATED"]
    assert not any(state is terminated for state, _ in table)


@pytest.mark.parametrize(("table", "states", "inputs"), MACHINES)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_hypothesis_sweep_pairs(
    table: dict, states: type[enum.Enum], inputs: type[enum.Enum], data: st.DataObject
) -> None:  # type: ignore[type-arg]
    state = data.draw(st.sampled_from(list(states)))
    event = data.draw(st.sampled_from(list(inputs)))
    try:
        action, nxt = transition(table, state, event)
    except TransactionError:
        assert (state, event) not in table
    else:
        assert table[(state, event)] == (action, nxt)


def test_timer_a_doubles_and_timer_b_at_32s() -> None:
    tx = ClientInviteTransaction(None, _invite(), reliable=False, config=CONFIG)
    out = tx.start(0.0)
    assert out == [Send(tx.request)]
    assert tx.timers.deadline(TimerName.A) == 0.5
    assert tx.timers.deadline(TimerName.B) == 32.0
    log = _fire_all(tx, 40.0)
    retransmits = [
        t for t, outs in log if any(isinstance(o, Send) and o.retransmission for o in outs)
    ]
    assert retransmits == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert log[-1] == (32.0, [Timeout()])
    assert tx.state is ClientInviteState.TERMINATED
    assert tx.next_deadline() is None


def test_late_wakeup_keeps_exact_schedule() -> None:
    tx = ClientInviteTransaction(None, _invite(), reliable=False, config=CONFIG)
    tx.start(10.0)
    outs = tx.handle_timer(12.0)  # woke late: A at 10.5 and 11.5 both fire
    assert len([o for o in outs if isinstance(o, Send)]) == 2
    assert tx.timers.deadline(TimerName.A) == 13.5


def test_reliable_invite_has_no_timer_a() -> None:
    tx = ClientInviteTransaction(None, _invite(), reliable=True, config=CONFIG)
    tx.start(0.0)
    assert tx.timers.deadline(TimerName.A) is None
    assert tx.next_deadline() == 32.0


def test_client_invite_non2xx_sends_ack_and_absorbs_retransmissions() -> None:
    invite = _invite()
    tx = ClientInviteTransaction(None, invite, reliable=False, config=CONFIG)
    tx.start(0.0)
    ringing = build_response(invite, 180, to_tag="t")
    assert tx.receive_response(ringing, 0.2) == [Deliver(ringing)]
    assert tx.state is ClientInviteState.PROCEEDING
    assert tx.next_deadline() is None  # A and B cancelled
    busy = build_response(invite, 486, to_tag="t")
    out = tx.receive_response(busy, 1.0)
    assert tx.ack is not None
    assert out == [Send(tx.ack), Deliver(busy)]
    assert tx.ack.method == "ACK"
    assert tx.timers.deadline(TimerName.D) == 33.0
    assert tx.receive_response(busy, 2.0) == [Send(tx.ack, retransmission=True)]
    assert tx.handle_timer(33.0) == []
    assert tx.terminated


def test_client_invite_2xx_accepted_then_timer_m() -> None:
    invite = _invite()
    tx = ClientInviteTransaction(None, invite, reliable=False, config=CONFIG)
    tx.start(0.0)
    ok = build_response(invite, 200, to_tag="t")
    assert tx.receive_response(ok, 1.0) == [Deliver(ok)]
    assert tx.state is ClientInviteState.ACCEPTED
    assert tx.timers.deadline(TimerName.M) == 33.0
    assert tx.receive_response(ok, 2.0) == [Deliver(ok)]  # RFC 6026: retransmitted 2xx to TU
    with pytest.raises(TransactionError):
        tx.receive_response(build_response(invite, 180), 2.5)
    tx.handle_timer(33.0)
    assert tx.terminated


def test_timer_e_caps_at_t2_and_f_at_32s() -> None:
    tx = ClientNonInviteTransaction(None, _options(), reliable=False, config=CONFIG)
    tx.start(0.0)
    log = _fire_all(tx, 40.0)
    retransmits = [t for t, outs in log if outs and isinstance(outs[0], Send)]
    assert retransmits == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert log[-1] == (32.0, [Timeout()])


def test_timer_e_is_t2_in_proceeding_and_k_after_final() -> None:
    request = _options()
    tx = ClientNonInviteTransaction(None, request, reliable=False, config=CONFIG)
    tx.start(0.0)
    tx.handle_timer(0.5)  # E -> next at 1.5
    tx.receive_response(build_response(request, 100), 0.6)
    assert tx.state is ClientNonInviteState.PROCEEDING
    tx.handle_timer(1.5)
    assert tx.timers.deadline(TimerName.E) == 5.5
    final = build_response(request, 200)
    assert tx.receive_response(final, 2.0) == [Deliver(final)]
    assert tx.timers.deadline(TimerName.K) == 7.0
    assert tx.timers.deadline(TimerName.E) is None
    assert tx.receive_response(final, 3.0) == []  # absorbed
    tx.handle_timer(7.0)
    assert tx.terminated


def test_reliable_non_invite_k_is_zero() -> None:
    request = _options()
    tx = ClientNonInviteTransaction(None, request, reliable=True, config=CONFIG)
    tx.start(0.0)
    assert tx.next_deadline() == 32.0
    tx.receive_response(build_response(request, 200), 1.0)
    assert tx.next_deadline() == 1.0


def test_client_transport_error() -> None:
    tx = ClientNonInviteTransaction(None, _options(), reliable=False, config=CONFIG)
    tx.start(0.0)
    assert tx.transport_error(0.1) == [TransportFailed()]
    assert tx.terminated


def test_server_invite_non2xx_timer_g_h() -> None:
    invite = _invite()
    tx = ServerInviteTransaction(None, invite, reliable=False, config=CONFIG)
    trying = build_response(invite, 100)
    assert tx.send_response(trying, 0.0) == [Send(trying)]
    assert tx.receive_request(invite, 0.1) == [Send(trying, retransmission=True)]
    busy = build_response(invite, 486, to_tag="x")
    assert tx.send_response(busy, 1.0) == [Send(busy)]
    assert tx.timers.deadline(TimerName.G) == 1.5
    assert tx.timers.deadline(TimerName.H) == 33.0
    log = _fire_all(tx, 40.0)
    assert [t for t, outs in log if outs and isinstance(outs[0], Send)] == [
        1.5,
        2.5,
        4.5,
        8.5,
        12.5,
        16.5,
        20.5,
        24.5,
        28.5,
        32.5,
    ]
    assert log[-1] == (33.0, [Timeout()])
    assert tx.terminated


def test_server_invite_ack_confirms_then_timer_i() -> None:
    invite = _invite()
    tx = ServerInviteTransaction(None, invite, reliable=False, config=CONFIG)
    busy = build_response(invite, 486, to_tag="x")
    tx.send_response(busy, 0.0)
    ack = parse_message(fx.base_request("ACK"))
    assert isinstance(ack, Request)
    assert tx.receive_request(invite, 0.2) == [Send(busy, retransmission=True)]
    assert tx.receive_request(ack, 0.3) == []
    assert tx.state is ServerInviteState.CONFIRMED
    assert tx.timers.deadline(TimerName.G) is None
    assert tx.timers.deadline(TimerName.I) == 5.3
    assert tx.receive_request(ack, 0.4) == []
    tx.handle_timer(5.3)
    assert tx.terminated


def test_server_invite_2xx_accepted_timer_l() -> None:
    invite = _invite()
    tx = ServerInviteTransaction(None, invite, reliable=False, config=CONFIG)
    ok = build_response(invite, 200, to_tag="x")
    tx.send_response(ok, 0.0)
    assert tx.state is ServerInviteState.ACCEPTED
    assert tx.timers.deadline(TimerName.L) == 32.0
    assert tx.receive_request(invite, 1.0) == []  # absorbed: the TU retransmits 2xx
    assert tx.send_response(ok, 1.0) == [Send(ok)]
    with pytest.raises(TransactionError):
        tx.send_response(build_response(invite, 486), 2.0)
    tx.handle_timer(32.0)
    assert tx.terminated


def test_server_non_invite_absorbs_and_resends() -> None:
    request = _options()
    tx = ServerNonInviteTransaction(None, request, reliable=False, config=CONFIG)
    assert tx.receive_request(request, 0.0) == []  # Trying: absorbed
    ok = build_response(request, 200)
    assert tx.send_response(ok, 1.0) == [Send(ok)]
    assert tx.timers.deadline(TimerName.J) == 33.0
    assert tx.receive_request(request, 2.0) == [Send(ok, retransmission=True)]
    with pytest.raises(TransactionError):
        tx.send_response(ok, 3.0)
    tx.handle_timer(33.0)
    assert tx.terminated
    reliable = ServerNonInviteTransaction(None, request, reliable=True, config=CONFIG)
    reliable.send_response(ok, 5.0)
    assert reliable.next_deadline() == 5.0


def test_custom_timer_config() -> None:
    config = TimerConfig(t1=0.1, t2=1.0, t4=2.0)
    tx = ClientNonInviteTransaction(None, _options(), reliable=False, config=config)
    tx.start(0.0)
    assert tx.timers.deadline(TimerName.F) == pytest.approx(6.4)
    assert config.timer_d(False) == 32.0
    assert config.timer_k(False) == 2.0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["resp100", "resp180", "resp200", "resp486", "timer", "error"]),
            st.floats(0, 5),
        ),
        max_size=20,
    )
)
def test_random_event_sequences_only_raise_transaction_error(
    events: list[tuple[str, float]],
) -> None:
    invite = _invite()
    tx = ClientInviteTransaction(None, invite, reliable=False, config=CONFIG)
    now = 0.0
    tx.start(now)
    for kind, step in events:
        now += step
        try:
            if kind == "timer":
                tx.handle_timer(now)
            elif kind == "error":
                tx.transport_error(now)
            else:
                tx.receive_response(build_response(invite, int(kind[4:]), to_tag="t"), now)
        except TransactionError:
            pass
        deadline = tx.next_deadline()
        assert deadline is None or not tx.terminated


def test_server_key_matching() -> None:
    invite = _invite()
    key = server_key(invite)
    assert key is not None
    assert key.branch == "z9hG4bKnashds8"
    assert key.method == "INVITE"
    assert key.sent_by == "127.0.0.1:5060"
    ack = parse_message(
        fx.INVITE.replace(b"INVITE sip:", b"ACK sip:").replace(b"314159 INVITE", b"314159 ACK")
    )
    assert isinstance(ack, Request)
    assert server_key(ack) == key
    cancel = parse_message(
        fx.INVITE.replace(b"INVITE sip:", b"CANCEL sip:").replace(
            b"314159 INVITE", b"314159 CANCEL"
        )
    )
    assert isinstance(cancel, Request)
    assert server_key(cancel) != key
    assert invite_key_for_cancel(cancel) == key
    other_host = parse_message(fx.INVITE.replace(b"UDP 127.0.0.1:5060", b"UDP 127.0.0.9:5060"))
    assert isinstance(other_host, Request)
    assert server_key(other_host) != key


def test_rfc2543_fallback_matching() -> None:
    # RFC 4475 inv2543 style: no magic cookie
    data = fx.INVITE.replace(b";branch=z9hG4bKnashds8", b"")
    invite = parse_message(data)
    assert isinstance(invite, Request)
    key = server_key(invite)
    assert key is not None
    assert key.branch == ""
    assert key.legacy
    ack = parse_message(
        data.replace(b"INVITE sip:", b"ACK sip:")
        .replace(b"314159 INVITE", b"314159 ACK")
        .replace(b"To: Bob <sip:bob@example.com>", b"To: Bob <sip:bob@example.com>;tag=ours")
    )
    assert isinstance(ack, Request)
    assert server_key(ack) == key
    other = parse_message(data.replace(b"314159 INVITE", b"314160 INVITE"))
    assert isinstance(other, Request)
    assert server_key(other) != key


def test_client_key_matching() -> None:
    invite = _invite()
    response = build_response(invite, 180)
    assert client_key(invite) == client_key(response)
    assert client_key(invite) == ("z9hG4bKnashds8", "INVITE")

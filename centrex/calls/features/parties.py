"""Which party of an answered call is "the caller": turning the callee into the call's side A.

The call layer hands a call on from its side A: a blind transfer rings a new target for A (A
hears ringback), park holds A in a slot, a hold plays music to A. That covers the
receptionist's case, where the party to hand on called in. When the party to hand on is the
*callee* — the calling party itself sends REFER (RFC 3515 does not care which end transfers),
or the switchboard transfers the outside party of a call an extension placed — the two sides
swap roles first: the answered side B becomes side A, the old A becomes an ordinary side B.

Why a swap is safe once the call is answered (RFC 3261 §12): both dialogs are confirmed, so
nothing depends any more on who sent the INVITE — in-dialog requests are relayed by dialog,
not by role; the caller's 2xx retransmission timers (§13.3.1.4) have stopped with its ACK; a
CANCEL can no longer match. What changes: the old A's INVITE server transaction is no longer
indexed for the call (a late CANCEL for it finds nothing: correct after the 2xx, §9.2), and the
new A is marked `originated`, so its leg keeps the table it moved by as a side B. The
CDR row keeps who called whom; the live view's caller/callee follow the roles.
"""

from __future__ import annotations

from centrex.calls.call import Call
from centrex.calls.core import CallCore
from centrex.calls.leg import CallState, TimerKind


def swap_parties(core: CallCore, call: Call) -> bool:
    """Make the answered side B the call's side A and the old A its side B (see the module
    docstring). False (nothing changed) unless the call is answered with both parties."""
    a, b = call.a, call.b
    if call.state is not CallState.ANSWERED or b is None or not b.answered or a.ended:
        return False
    for kind in (TimerKind.RETRANSMIT_2XX, TimerKind.ACK_WAIT):
        call.timers.cancel(kind)
    if a.server_key is not None:
        core.by_server.pop(a.server_key, None)
        a.server_key = None
    if b in call.forks:
        call.forks.remove(b)
    # its leg keeps the table it was moved by as a side B (a picked-up or replacing UAS dialog
    # moves by the UAC table's confirmed rows already: the same for both once confirmed)
    b.originated = True
    a.label = f"b{len(call.forks) + 1}"
    b.label = "a"
    call.forks.append(a)
    call.a, call.b = b, a
    call.response_to_a = None
    call.caller, call.callee = b.peer, a.peer
    call.caller_name = None
    return True

"""The call state machine: which moves a call may make, written once. Pure.

A call's shared state lives in LiveState (Redis); the store's atomic scripts (reserve, confirm,
release, defer) and the handlers that change a call (control/handlers/waiting.py, reconcile.py,
callback_cancel.py) move it only along these arrows; ``move`` refuses any other.

    ivr ──▶ queued ──▶ offering ──▶ connected ──▶ ended
             ▲  │         │  ▲          │
             │  └─────────┘  (offer failed: back in line)
             └── ivr (left the queue: an exit key, overflow to a flow, a deferred callback)

Every state may end (the caller hangs up). A connected call goes back to the queue (or waits,
deferred) only when it is a callback whose customer was never reached: it has no caller leg.
"""
from __future__ import annotations

from control.domain.models import Call, CallState as C

ALLOWED: dict[C, frozenset[C]] = {
    C.IVR: frozenset({C.QUEUED, C.ENDED}),
    C.QUEUED: frozenset({C.OFFERING, C.IVR, C.ENDED}),
    C.OFFERING: frozenset({C.QUEUED, C.CONNECTED, C.ENDED}),
    C.CONNECTED: frozenset({C.ENDED}),
    C.ENDED: frozenset(),
}
# a callback call (kind "callback") between its agent answering and its customer answering
CALLBACK_ONLY: dict[C, frozenset[C]] = {C.CONNECTED: frozenset({C.QUEUED, C.IVR})}
TERMINAL = frozenset({C.ENDED})
# the states in which a call holds an agent (a reservation, or the conversation)
HOLDS_AGENT = frozenset({C.OFFERING, C.CONNECTED})


class IllegalCallTransition(ValueError):
    def __init__(self, call_id: str, frm: C, to: C):
        self.call_id, self.frm, self.to = call_id, frm, to
        super().__init__(f"call {call_id}: cannot go from {frm.value} to {to.value}")


def can_move(frm: C, to: C, kind: str = "inbound") -> bool:
    """Staying in a state is allowed (a repeated write)."""
    frm, to = C(frm), C(to)
    return to == frm or to in ALLOWED[frm] or (kind == "callback" and to in CALLBACK_ONLY.get(frm, ()))


def move(call: Call, to: C) -> Call:
    """Put ``call`` in state ``to`` (in place; returned for chaining). Raises IllegalCallTransition."""
    if not can_move(call.state, to, call.kind):
        raise IllegalCallTransition(call.id, call.state, C(to))
    call.state = C(to)
    return call

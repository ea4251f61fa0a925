"""The agent state machine: which moves are allowed, and what each move changes.

One call at a time: only RESERVED and ON_CALL carry a call id, and an agent can
be reserved only from AVAILABLE.
"""
from __future__ import annotations

from dataclasses import replace

from control.domain.models import Agent, AgentState as S


class InvalidTransition(ValueError):
    def __init__(self, agent_id: str, frm: S, to: S):
        self.agent_id, self.frm, self.to = agent_id, frm, to
        super().__init__(f"agent {agent_id}: cannot go from {frm.value} to {to.value}")


ALLOWED: dict[S, frozenset[S]] = {
    S.LOGGED_OUT: frozenset({S.AVAILABLE, S.BREAK, S.NOT_READY}),
    S.AVAILABLE: frozenset({S.RESERVED, S.BREAK, S.NOT_READY, S.LOGGED_OUT}),
    # an offer is answered, withdrawn (available), missed (not_ready) or the agent logs out
    S.RESERVED: frozenset({S.ON_CALL, S.AVAILABLE, S.NOT_READY, S.LOGGED_OUT}),
    # a call ends in wrap-up, or straight to available when the queue has no wrap-up
    S.ON_CALL: frozenset({S.WRAP_UP, S.AVAILABLE}),
    S.WRAP_UP: frozenset({S.AVAILABLE, S.BREAK, S.NOT_READY, S.LOGGED_OUT}),
    S.BREAK: frozenset({S.AVAILABLE, S.NOT_READY, S.LOGGED_OUT}),
    S.NOT_READY: frozenset({S.AVAILABLE, S.BREAK, S.LOGGED_OUT}),
}
HOLDS_CALL = frozenset({S.RESERVED, S.ON_CALL})


def can_transition(frm: S, to: S) -> bool:
    return to == frm or to in ALLOWED[frm]


def transition(agent: Agent, to: S, now: float, reason: str | None = None,
               call_id: str | None = None) -> Agent:
    """Return a new Agent in state ``to``. Staying in the same state is allowed
    (idempotent; a break may change its reason). Raises InvalidTransition."""
    to = S(to)
    frm = agent.state
    if not can_transition(frm, to):
        raise InvalidTransition(agent.id, frm, to)
    if to == S.RESERVED and frm != S.RESERVED and not call_id:
        raise ValueError(f"agent {agent.id}: a reservation needs a call id")
    changes: dict = {"break_reason": reason if to == S.BREAK else None}
    if to != frm:
        changes["state"] = to
        changes["state_since"] = now
    changes["call_id"] = (call_id or agent.call_id) if to in HOLDS_CALL else None
    if to == S.AVAILABLE and frm != S.AVAILABLE:
        changes["idle_since"] = now
    if to == S.RESERVED and frm != S.RESERVED:
        changes["last_offered_at"] = now
    if frm == S.ON_CALL and to != S.ON_CALL:
        changes["calls_taken"] = agent.calls_taken + 1
        changes["talk_time_s"] = agent.talk_time_s + max(0.0, now - agent.state_since)
    return replace(agent, **changes)


def apply_release(agent: Agent, to: S, now: float) -> None:
    """The agent side of a release, in place (MemoryState and its ring groups; the Redis scripts do
    the same in Lua): a call ending counts it and its talk time; the agent holds no call after."""
    if agent.state == S.ON_CALL:
        agent.calls_taken += 1
        agent.talk_time_s += max(0.0, now - agent.state_since)
    if to == S.AVAILABLE and agent.state != S.AVAILABLE:
        agent.idle_since = now
    if to != agent.state:
        agent.state_since = now
    agent.state, agent.call_id, agent.break_reason = to, None, None


def wrap_up_length(agent_s: float | None, queue_s: float | None, default_s: float) -> float:
    """How long an agent's wrap-up lasts after a conversation: the agent's own setting, else the
    queue's, else the configured default. ``None`` means "not set"; 0 is a valid setting (no wrap-up)."""
    for value in (agent_s, queue_s):
        if value is not None:
            return float(value)
    return float(default_s)

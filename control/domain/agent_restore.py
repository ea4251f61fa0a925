"""An agent's state put back from its last row in the state history (records/state_log.py) when
Redis came back empty. Pure.

What an agent chose is kept: a break or not-ready with its reason, logged out, available (idle since
then). An agent that was reserved, on a call or in wrap-up comes back in wrap-up from ``now``: its call
may be gone with the live state, and wrap-up is where an agent whose call vanished goes anyway; the
reconciler frees it after the longest wrap-up it could have (control/handlers/reconcile.py). An agent
with no history stays logged out.
"""
from __future__ import annotations

from control.domain.models import Agent, AgentState

KEPT = {AgentState.BREAK, AgentState.NOT_READY, AgentState.LOGGED_OUT, AgentState.AVAILABLE}


def restore(agent: Agent, state: str, reason: str | None, at: float, now: float) -> Agent:
    """Set ``agent`` (a fresh one, logged out) to what its last logged change says; returns it."""
    try:
        logged = AgentState(state)
    except ValueError:
        return agent
    if logged in KEPT:
        agent.state, agent.state_since = logged, at
        agent.break_reason = reason if logged in (AgentState.BREAK, AgentState.NOT_READY) else None
        if logged == AgentState.AVAILABLE:
            agent.idle_since = at
    else:
        agent.state, agent.state_since, agent.break_reason = AgentState.WRAP_UP, now, None
    agent.call_id = None
    return agent

"""The one owner of an agent's state changes (docs/architecture.md, Who owns each transition).

``change``: the domain transition and its atomic write (LiveState.set_agent_state, a CAS through
control/domain/agent_state.py) → the history row the reports read (agent_state_log) → the live
events (the agent's console and the wallboard) → a dispatch nudge when the agent became available.

``end_conversation``: the call is released with the agent in wrap-up → a handle-time sample for the
queue → the ``wrap_up`` history row → the ``ended`` event → the wrap-up timer, whose end makes the
agent available through ``change``. Its length is one pure rule (agent_state.wrap_up_length).

The end of wrap-up asks ``held_back`` first (set with ``hold_back``): a not-ready reason makes the
agent not ready instead of available (a browser phone that lost its registration during the call
or the wrap-up: handlers/browser_phones.py).

``note``: the history row of a change the store made together with a call (reserve, confirm,
release are one atomic script each, so the caller writes them, then notes them here).

The controller builds one per Manager; the console builds one per request (web/agent_states.py),
with its own history writer and a nudge published on the control channel.
"""
from __future__ import annotations

import logging
from typing import Callable, Mapping

import gevent

from control import events
from control.domain.agent_state import wrap_up_length
from control.domain.models import Agent, AgentState
from control.domain.queue_config import QueueConfig
from control.ports import LiveState, Publisher, StateHistory

log = logging.getLogger(__name__)


class AgentStates:
    def __init__(self, store: LiveState, history: StateHistory, publisher: Publisher,
                 clock: Callable[[], float], nudge: Callable[[Agent], None],
                 queues: Callable[[], Mapping[str, QueueConfig]], default_wrap_up_s: float):
        self.store, self.history, self.publisher = store, history, publisher
        self.clock, self.nudge, self.queues = clock, nudge, queues
        self.default_wrap_up_s = default_wrap_up_s
        self._timers: dict[str, gevent.Greenlet] = {}
        self.held_back: Callable[[str], str | None] = lambda agent_id: None

    def hold_back(self, reason_for: Callable[[str], str | None]) -> None:
        """``reason_for(agent_id)``: why the agent may not become available when their wrap-up ends
        (a not-ready reason), or None."""
        self.held_back = reason_for

    # -- any state ----------------------------------------------------------------------
    def change(self, agent_id: str, state: AgentState, reason: str | None = None,
               current: Agent | None = None, forced_by: str | None = None) -> Agent:
        """Raises InvalidTransition (not allowed from the agent's state) and KeyError (unknown agent).
        ``current``: the agent as just read (saves a read); ``forced_by``: the supervisor who forced it."""
        now = self.clock()
        agent = self.store.set_agent_state(agent_id, AgentState(state), now, reason=reason, current=current)
        self.note(agent_id, agent.state, agent.break_reason if agent.state == AgentState.BREAK else reason, now)
        self._publish_state(agent, reason, now, forced_by)
        if agent.state == AgentState.AVAILABLE:
            self.nudge(agent)
        return agent

    def note(self, agent_id: str, state: AgentState, reason: str | None = None, at: float | None = None) -> None:
        """The history row only (reports: login, occupancy, breaks); never blocks or fails a call."""
        try:
            self.history.put(agent_id, AgentState(state).value, reason, self.clock() if at is None else at)
        except Exception:  # the history is for reports; routing must not fail on it
            log.warning("agent state history not written for %s", agent_id, exc_info=True)

    def _publish_state(self, agent: Agent, reason: str | None, now: float, forced_by: str | None) -> None:
        message = events.state(agent.id, agent.state.value, reason, now, forced_by=forced_by)
        self.publisher.publish(f"agent:{agent.id}", message)
        self.publisher.publish("wallboard", message)

    # -- the end of a conversation ----------------------------------------------------------
    def wrap_up_s(self, agent: Agent | None, queue: str | None) -> float:
        config = self.queues().get(queue) if queue else None
        return wrap_up_length(agent.wrap_up_s if agent is not None else None,
                              config.wrap_up_s if config is not None else None, self.default_wrap_up_s)

    def end_conversation(self, agent_id: str, call_id: str, queue: str | None, answered_at: float | None,
                         release: bool = True, reason: str | None = None, requeue_call: bool = False) -> float:
        """The agent's conversation on the call is over; returns the wrap-up length. ``release``:
        the call ends for this agent in the store (False: the store already moved the call to
        someone else, an attended transfer's target, and only the agent goes to wrap-up).
        ``requeue_call``: the call goes back to its queue (a callback whose customer was never reached)."""
        now = self.clock()
        agent = self.store.get_agent(agent_id)
        wrap_s = self.wrap_up_s(agent, queue)
        if release:
            self.store.release(call_id, agent_id, AgentState.WRAP_UP, now, requeue_call=requeue_call)
        elif agent is not None:
            self.store.set_agent_state(agent_id, AgentState.WRAP_UP, now)
        if answered_at and queue:
            self.store.record_handle_time(queue, now - answered_at + wrap_s, now)
        self.note(agent_id, AgentState.WRAP_UP, None, now)
        self.publisher.publish(f"agent:{agent_id}", events.ended(call_id, now, reason=reason or None, wrap_up_s=wrap_s))
        self.start_wrap_up(agent_id, wrap_s)
        return wrap_s

    # -- the wrap-up timer -----------------------------------------------------------------------
    def start_wrap_up(self, agent_id: str, seconds: float) -> None:
        since = self.clock()
        old = self._timers.pop(agent_id, None)
        if old is not None:
            old.kill(block=False)
        self._timers[agent_id] = gevent.spawn_later(max(0.0, seconds), self._end_wrap_up, agent_id, since)

    def timing(self, agent_id: str) -> bool:
        """This process runs the agent's wrap-up timer (the reconciler leaves that wrap-up alone)."""
        return agent_id in self._timers

    def running_timers(self) -> int:
        return len(self._timers)

    def stop(self) -> None:
        gevent.killall(list(self._timers.values()))
        self._timers.clear()

    def _end_wrap_up(self, agent_id: str, since: float) -> None:
        self._timers.pop(agent_id, None)
        agent = self.store.get_agent(agent_id)
        if agent is not None and agent.state == AgentState.WRAP_UP and agent.state_since <= since + 0.001:
            reason = self.held_back(agent_id)
            if reason:
                self.change(agent_id, AgentState.NOT_READY, reason=reason, current=agent)
            else:
                self.change(agent_id, AgentState.AVAILABLE, current=agent)

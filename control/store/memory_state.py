"""LiveState in process memory: the same contract as RedisState (tests, the in-process bench).

Semantics shared with RedisState (tests/integration/test_store_contract.py runs both):
- ``put_call`` assigns ``seq`` when it is 0 and never undoes a reservation: while a
  call is offering or connected, its state, agent and lease stay as they are.
- ``waiting_calls`` are the calls QUEUED or OFFERING, in seq order.
- ``reserve`` needs the agent AVAILABLE and the call QUEUED with no agent; both become
  reserved (agent RESERVED, call OFFERING) with a lease until now + lease_s.
- ``release`` frees the agent only if it holds this call, requeues or drops the call
  only if this agent holds it (or nobody does), and ends the lease.
- Rolling stats: ``record_handle_time`` / ``aht`` (mean of the last STATS_SAMPLES handle
  times of a queue), ``record_arrival`` / ``arrivals_per_s`` (over a window).
"""
from __future__ import annotations

import copy
import itertools
from collections import deque

from control.domain.agent_state import HOLDS_CALL, apply_release, transition
from control.domain.call_state import can_move
from control.domain.models import Agent, AgentState, Call, CallState
from control.store.ring_groups import MemoryGroups

STATS_SAMPLES = 100
ARRIVALS_KEPT = 10_000
WAITING = (CallState.QUEUED, CallState.OFFERING)


class MemoryState(MemoryGroups):
    def __init__(self):
        self._agents: dict[str, Agent] = {}
        self._calls: dict[str, Call] = {}
        self._owner: dict[str, str] = {}
        self._leases: dict[str, float] = {}   # call_id -> expires_at
        self._seq = itertools.count(1)
        self._handle: dict[str, deque] = {}
        self._arrivals: dict[str, deque] = {}
        self._deferred: dict[str, float] = {}  # callback calls waiting for a retry: call_id -> due
        self._claims: set[str] = set()

    # -- agents ---------------------------------------------------------------------
    def put_agent(self, agent: Agent) -> None:
        self._agents[agent.id] = copy.deepcopy(agent)

    def get_agent(self, agent_id: str) -> Agent | None:
        agent = self._agents.get(agent_id)
        return copy.deepcopy(agent) if agent else None

    def agents(self) -> list[Agent]:
        return [copy.deepcopy(a) for a in self._agents.values()]

    def has_agents(self) -> bool:
        return bool(self._agents)

    def agent_states(self) -> dict[str, str]:
        return {a.id: a.state.value for a in self._agents.values()}

    def agents_by_id(self, ids) -> list[Agent]:
        return [copy.deepcopy(self._agents[i]) for i in ids if i in self._agents]

    def available_index(self) -> dict[str, float]:
        """As RedisState's index: agent id -> idle_since, for the available agents."""
        return {a.id: a.idle_since for a in self._agents.values() if a.state == AgentState.AVAILABLE}

    def available_agents(self) -> list[Agent]:
        return sorted((copy.deepcopy(a) for a in self._agents.values() if a.state == AgentState.AVAILABLE),
                      key=lambda a: a.id)

    def set_agent_state(self, agent_id: str, state: AgentState, now: float, reason: str | None = None,
                        current: Agent | None = None) -> Agent:
        """Through the state machine (raises InvalidTransition, KeyError for an unknown agent)."""
        agent = self._agents[agent_id]
        new = transition(agent, AgentState(state), now, reason=reason)
        self._agents[agent_id] = new
        return copy.deepcopy(new)

    # -- calls ------------------------------------------------------------------------
    def next_seq(self) -> int:
        return next(self._seq)

    def put_call(self, call: Call, create: bool | None = None) -> bool:
        """``create`` defaults to "no seq yet" (a first put); an update of a call that has ended
        (removed) does not bring it back and returns False."""
        if create is None:
            create = not call.seq
        if not create and call.id not in self._calls:
            return False
        call = copy.deepcopy(call)
        if not call.seq:
            call.seq = self.next_seq()
        old = self._calls.get(call.id)
        if old is not None and old.state in (CallState.OFFERING, CallState.CONNECTED):
            call.state, call.agent_id = old.state, old.agent_id
            call.offered_at, call.answered_at = old.offered_at, old.answered_at
        self._calls[call.id] = call
        return True

    def get_call(self, call_id: str) -> Call | None:
        call = self._calls.get(call_id)
        return copy.deepcopy(call) if call else None

    def waiting_calls(self, shared: bool = False) -> list[Call]:
        return sorted((copy.deepcopy(c) for c in self._calls.values() if c.state in WAITING),
                      key=lambda c: c.seq)

    def remove_call(self, call_id: str) -> None:
        self._calls.pop(call_id, None)
        self._leases.pop(call_id, None)
        self._owner.pop(call_id, None)

    # -- reservations -------------------------------------------------------------------
    def reserve_many(self, pairs: list[tuple[str, str]], owner: str, lease_s: float, now: float) -> list[bool]:
        return [self.reserve(call_id, agent_id, owner, lease_s, now) for call_id, agent_id in pairs]

    def reserve(self, call_id: str, agent_id: str, owner: str, lease_s: float, now: float) -> bool:
        agent, call = self._agents.get(agent_id), self._calls.get(call_id)
        if agent is None or call is None or agent.state != AgentState.AVAILABLE:
            return False
        if call.state != CallState.QUEUED or call.agent_id is not None:
            return False
        agent.state, agent.state_since, agent.call_id, agent.last_offered_at = AgentState.RESERVED, now, call_id, now
        agent.break_reason = None
        call.state, call.agent_id, call.offered_at = CallState.OFFERING, agent_id, now
        self._leases[call_id] = now + lease_s
        self._owner[call_id] = owner
        return True

    def _holds(self, call_id: str, agent_id: str, call_state: CallState, agent_state: AgentState) -> bool:
        agent, call = self._agents.get(agent_id), self._calls.get(call_id)
        return (agent is not None and call is not None and call.state == call_state and call.agent_id == agent_id
                and agent.state == agent_state and agent.call_id == call_id)

    def renew(self, call_id: str, agent_id: str, lease_s: float, now: float) -> bool:
        if not self._holds(call_id, agent_id, CallState.OFFERING, AgentState.RESERVED):
            return False
        self._leases[call_id] = now + lease_s
        return True

    def confirm(self, call_id: str, agent_id: str, now: float) -> bool:
        if not self._holds(call_id, agent_id, CallState.OFFERING, AgentState.RESERVED):
            return False
        agent, call = self._agents[agent_id], self._calls[call_id]
        agent.state, agent.state_since = AgentState.ON_CALL, now
        call.state, call.answered_at = CallState.CONNECTED, now
        self._leases.pop(call_id, None)
        return True

    def release(self, call_id: str, agent_id: str, agent_state: AgentState, now: float,
                requeue_call: bool) -> None:
        agent, call = self._agents.get(agent_id), self._calls.get(call_id)
        if agent is not None and (agent.call_id == call_id or (agent.call_id is None and agent.state in HOLDS_CALL)):
            apply_release(agent, AgentState(agent_state), now)
        if call is not None and call.agent_id == agent_id:   # an unheld call is already back in line
            # a conversation never goes back in line; a callback whose customer was not reached may
            if requeue_call and can_move(call.state, CallState.QUEUED, call.kind):
                call.state, call.agent_id = CallState.QUEUED, None
                self._leases.pop(call_id, None)
            else:
                self.remove_call(call_id)
        elif call is None:
            self._leases.pop(call_id, None)

    def expired_reservations(self, now: float) -> list[tuple[str, str]]:
        out = []
        for call_id, expires in sorted(self._leases.items(), key=lambda kv: kv[1]):
            call = self._calls.get(call_id)
            if expires <= now and call is not None and call.agent_id:
                out.append((call_id, call.agent_id))
        return out

    # -- callback calls waiting for a retry ------------------------------------------------
    def defer(self, call: Call, due_at: float, agent_id: str | None, agent_state: AgentState, now: float) -> None:
        if agent_id:
            self.release(call.id, agent_id, agent_state, now, requeue_call=False)
        call = copy.deepcopy(call)
        call.state, call.agent_id = CallState.IVR, None
        call.seq = call.seq or self.next_seq()
        self._calls[call.id] = call
        self._deferred[call.id] = due_at

    def next_deferred(self) -> float | None:
        return min(self._deferred.values(), default=None)

    def deferred(self) -> dict[str, float]:
        """Callback calls out of the queue until their next attempt: call id -> due time."""
        return dict(self._deferred)

    def requeue_due(self, now: float) -> list[str]:
        out = []
        for call_id, due in sorted(self._deferred.items(), key=lambda kv: kv[1]):
            if due > now:
                continue
            del self._deferred[call_id]
            call = self._calls.get(call_id)
            if call is not None and call.state == CallState.IVR:
                call.state, call.agent_id = CallState.QUEUED, None
                out.append(call_id)
        return out

    def claim_once(self, name: str, ttl_s: float) -> bool:
        if name in self._claims:
            return False
        self._claims.add(name)
        return True

    # -- rolling stats ---------------------------------------------------------------------
    def record_handle_time(self, queue: str, seconds: float, now: float | None = None) -> None:
        self._handle.setdefault(queue, deque(maxlen=STATS_SAMPLES)).append(float(seconds))

    def aht(self, queue: str) -> float | None:
        samples = self._handle.get(queue)
        return sum(samples) / len(samples) if samples else None

    def record_arrival(self, queue: str, now: float) -> None:
        self._arrivals.setdefault(queue, deque(maxlen=ARRIVALS_KEPT)).append(now)

    def arrivals_per_s(self, queue: str, now: float, window_s: float = 900.0) -> float:
        return sum(1 for t in self._arrivals.get(queue, ()) if now - window_s < t <= now) / window_s

    # -- attended transfer (control/handlers/consult.py) -------------------------------------
    def hold_agent_for(self, agent_id: str, call_id: str, now: float) -> bool:
        """An AVAILABLE agent becomes RESERVED for a consultation on ``call_id`` (the call itself is
        untouched), so routing does not offer them a queued call meanwhile. False if not available."""
        agent = self._agents.get(agent_id)
        if agent is None or agent.state != AgentState.AVAILABLE:
            return False
        self._agents[agent_id] = transition(agent, AgentState.RESERVED, now, call_id=call_id)
        return True

    def mark_consult(self, call_id: str, agent_id: str, controller_id: str) -> None:
        """``agent_id`` is held for a consultation on ``call_id`` run by ``controller_id``: the
        reconciler leaves the agent reserved while that controller lives."""
        self.__dict__.setdefault("_consults", {})[call_id] = (agent_id, controller_id)

    def consult_of(self, call_id: str) -> tuple[str, str] | None:
        return self.__dict__.get("_consults", {}).get(call_id)

    def clear_consult(self, call_id: str) -> None:
        self.__dict__.get("_consults", {}).pop(call_id, None)

    def hand_over_call(self, call_id: str, from_agent: str, to_agent: str) -> bool:
        """A connected call held by ``from_agent`` now belongs to ``to_agent``. False if not so held."""
        call = self._calls.get(call_id)
        if call is None or call.state != CallState.CONNECTED or call.agent_id != from_agent:
            return False
        call.agent_id = to_agent
        return True

"""Dispatch passes in process: many idle agents, a few waiting calls (``hotline bench routing``).

What ``Manager.dispatch_once`` does per pass, timed: read the available agents through
``AvailableAgents`` (over an in-process stand-in for the Redis index) and decide. Each pass
1-5 calls wait; reserved agents come back later with a new idle_since, and now and then
another controller takes a cached agent (a stale entry: its reservation here fails).
"""
from __future__ import annotations

import copy
import random
import time
from collections import deque

from control.domain.models import AgentState, Call, CallState
from control.domain.routing import LiveRouting, decide
from control.handlers.agent_cache import AvailableAgents

ABANDON_S = 30.0


class IndexStore:
    """The part of RedisState that AvailableAgents reads: the index (id -> score) and agents by id."""

    def __init__(self, agents):
        self.agents = {a.id: a for a in agents}
        self.index: dict[str, float] = {}

    def available_index(self) -> dict[str, float]:
        return dict(self.index)

    def agents_by_id(self, ids) -> list:
        return [copy.copy(self.agents[i]) for i in ids if i in self.agents]

    def free(self, agent_id: str, now: float) -> None:
        agent = self.agents[agent_id]
        agent.state, agent.idle_since, agent.calls_taken = AgentState.AVAILABLE, now, agent.calls_taken + 1
        self.index[agent_id] = now

    def reserve(self, agent_id: str, now: float) -> bool:
        agent = self.agents[agent_id]
        if agent.state != AgentState.AVAILABLE:
            return False
        agent.state, agent.last_offered_at = AgentState.RESERVED, now
        self.index.pop(agent_id, None)
        return True


def fresh(queues, rng):
    """A new Router over every available agent each pass (as before LiveRouting)."""
    def run(cache: AvailableAgents, now: float, waiting: list[Call]):
        agents = cache.read(now)
        decisions = decide(now, waiting, agents, queues, rng=rng) if agents else []
        cache.forget(a for d in decisions for a in d.agent_ids)
        return decisions
    return run


def simulate(queues, agents, new_call, passes: int, idle: int, seed: int, dispatcher, on_pass=None) -> list[float]:
    """Run ``passes`` passes; return each pass's time. ``new_call(rng, i, now)`` makes a call;
    ``on_pass(now, waiting, decisions)`` sees every pass (for equivalence checks)."""
    rng = random.Random(seed)
    for a in agents:
        a.state = AgentState.ON_CALL
    store = IndexStore(agents)
    ids = [a.id for a in agents]
    rng.shuffle(ids)
    for i in ids[:idle]:
        store.free(i, rng.random() * 100)
    busy, taken = deque(ids[idle:]), deque[str]()
    waiting: dict[str, Call] = {}
    cache, samples, now, n = AvailableAgents(store), [], 1000.0, 0
    for _ in range(passes):
        now += 0.05
        for i in [i for i, c in waiting.items() if c.entered_at is not None and now - c.entered_at > ABANDON_S]:
            del waiting[i]
        while len(waiting) < rng.randint(1, 5):
            n += 1
            call = new_call(rng, n, now)
            waiting[call.id] = call
        while taken:   # another controller's reservation from the last pass is confirmed
            store.index.pop(taken.popleft(), None)
        while len(store.index) < idle and busy:
            store.free(busy.popleft(), now)
        if rng.random() < 0.2 and store.index:   # another controller reserves a cached agent
            other = rng.choice(sorted(store.index))
            store.agents[other].state = AgentState.RESERVED
            taken.append(other)
            busy.append(other)
        cache.agents_changed = True   # agents came and went: the dispatcher is told so (Manager.trigger)
        t0 = time.perf_counter()
        decisions = dispatcher(cache, now, [copy.copy(c) for c in waiting.values()])   # fresh reads, as from Redis
        samples.append(time.perf_counter() - t0)
        if on_pass is not None:
            on_pass(now, list(waiting.values()), decisions)
        for d in decisions:
            for agent_id in d.agent_ids:
                if store.reserve(agent_id, now):
                    waiting.pop(d.call_id, None)
                    busy.append(agent_id)
    return samples


def one_queue_call(rng: random.Random, i: int, now: float) -> Call:
    return Call(id=f"p{i}", caller="+1", did="+2", queue="q", entered_at=now, seq=i, state=CallState.QUEUED)


def kept(queues, rng):
    """The dispatcher's pass: one Router kept across passes, fed the cache's changes."""
    routing = LiveRouting(queues, rng=rng)

    def run(cache: AvailableAgents, now: float, waiting: list[Call]):
        cache.refresh(now)
        routing.update_agents(cache.take_changes())
        decisions = routing.decide(now, waiting)
        cache.forget(a for d in decisions for a in d.agent_ids)
        return decisions
    return run


DISPATCHERS = {"fresh": fresh, "kept": kept}

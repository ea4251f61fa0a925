"""The dispatcher's view of the available agents, kept between passes.

A pass used to read every available agent whole (HGETALL + JSON): with 2,000 idle agents and a
pass per arriving call, that was most of Redis's work and a sixth of the controller's CPU
(docs/benchmarks.md, Calls). Now a pass reads the index (one ZRANGE: id -> idle_since, kept by
the Lua scripts) and fetches only agents it has not seen, or whose score changed (they went
away and came back: other live fields changed too). Agents not available when fetched (just
reserved, still indexed) are not kept. Everything is re-read every ``max_age_s`` (agent
settings edited meanwhile).

A kept agent may be stale (reserved by another controller a moment ago): the reserve script
refuses it, and the dispatcher forgets the agents it decided on (fetched again if still indexed).

The dispatcher keeps a Router between passes (control/domain/routing.py, LiveRouting): it takes
what changed since it last asked (``take_changes``: id -> Agent added or replaced, None for one
dropped) rather than the whole list, so a pass in which nothing changed costs no per-agent work
here beyond the index read and two set operations in C.
"""
from __future__ import annotations

import time
from itertools import compress
from operator import ne

from control.domain.models import AgentState

MAX_AGE_S = 10.0
# A pass woken by a call entering a queue changes no agent: it reuses an index read this recently
# (reading ~2,500 idle agents' index on every arrival was a quarter of the CPU at 50 calls/s).
INDEX_MAX_AGE_S = 0.1


class AvailableAgents:
    def __init__(self, store, max_age_s: float = MAX_AGE_S):
        self.store, self.max_age_s = store, max_age_s
        self._kept: dict[str, tuple[float, object]] = {}   # id -> (index score, Agent)
        self._index: dict[str, float] = {}                  # the index as last read
        self._changes: dict[str, object | None] = {}        # since take_changes: id -> Agent, or None
        self._filled_at = float("-inf")
        self._index_at = float("-inf")
        self.agents_changed = True   # set by the dispatcher when a trigger may mean an agent came or went

    def read(self, now: float) -> list:
        """The available agents, sorted by id."""
        self.refresh(now)
        kept = self._kept
        return [kept[i][1] for i in sorted(kept)]

    def refresh(self, now: float) -> None:
        store = self.store
        kept, changes = self._kept, self._changes
        if now - self._filled_at >= self.max_age_s:
            self._drop(list(kept))
            self._index, self._filled_at, self.agents_changed = {}, now, True
        if self.agents_changed or time.monotonic() - self._index_at >= INDEX_MAX_AGE_S:
            self.agents_changed, self._index_at = False, time.monotonic()
            index, last = store.available_index(), self._index
            if index != last:   # an agent whose score changed or left went away (maybe came back: read again)
                self._drop(list(compress(last, map(ne, last.values(), map(index.get, last)))))
                self._index = index
        index = self._index
        missing = index.keys() - kept.keys()   # new, or not available when last fetched
        if missing:
            for agent in store.agents_by_id(sorted(missing)):
                if agent.state == AgentState.AVAILABLE and agent.id in index:
                    kept[agent.id] = (index[agent.id], agent)
                    changes[agent.id] = agent

    def note_available(self, agent) -> bool:
        """An agent this controller just made available, as written (its index score is its
        idle_since): kept without reading the index. False when the cache cannot take it so."""
        if agent.state != AgentState.AVAILABLE or self._index_at == float("-inf"):
            return False
        self._index[agent.id] = agent.idle_since
        self._kept[agent.id] = (agent.idle_since, agent)
        self._changes[agent.id] = agent
        return True

    def take_changes(self) -> dict:
        changes, self._changes = self._changes, {}
        return changes

    def take_all(self) -> dict:
        """Every kept agent, as changes from nothing (for a new Router); pending changes are dropped."""
        self._changes = {}
        kept = self._kept
        return {i: kept[i][1] for i in sorted(kept)}

    def forget(self, agent_ids) -> None:
        self._drop(agent_ids)

    def _drop(self, agent_ids) -> None:
        kept, changes = self._kept, self._changes
        for agent_id in agent_ids:
            if kept.pop(agent_id, None) is not None:
                changes[agent_id] = None

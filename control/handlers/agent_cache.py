"""The dispatcher's view of the available agents, kept between passes.

A pass used to read every available agent whole (HGETALL + JSON): with 2,000 idle agents and a
pass per arriving call, that was most of Redis's work and a sixth of the controller's CPU
(docs/benchmarks.md, Calls). Now a pass reads the index (one ZRANGE: id -> idle_since, kept by
the Lua scripts) and fetches only agents it has not seen, or whose score changed (they went
away and came back: other live fields changed too). Agents not available when fetched (just
reserved, still indexed) are not kept. Everything is re-read every ``max_age_s`` (agent
settings edited meanwhile).

A kept agent may be stale (reserved by another controller a moment ago): the reserve script
refuses it, and the dispatcher forgets the agents of a pass that did not start every offer.
"""
from __future__ import annotations

from control.domain.models import AgentState

MAX_AGE_S = 10.0


class AvailableAgents:
    def __init__(self, store, max_age_s: float = MAX_AGE_S):
        self.store, self.max_age_s = store, max_age_s
        self._kept: dict[str, tuple[float, object]] = {}   # id -> (index score, Agent)
        self._filled_at = float("-inf")

    def read(self, now: float) -> list:
        store = self.store
        if not hasattr(store, "available_index"):   # MemoryState: nothing to save
            return store.available_agents()
        if now - self._filled_at >= self.max_age_s:
            self._kept, self._filled_at = {}, now
        index = store.available_index()
        kept = {i: entry for i, entry in self._kept.items() if index.get(i) == entry[0]}
        missing = sorted(i for i in index if i not in kept)
        if missing:
            for agent in store.agents_by_id(missing):
                if agent.state == AgentState.AVAILABLE and agent.id in index:
                    kept[agent.id] = (index[agent.id], agent)
        self._kept = kept
        return [kept[i][1] for i in sorted(kept)]

    def forget(self, agent_ids) -> None:
        for agent_id in agent_ids:
            self._kept.pop(agent_id, None)

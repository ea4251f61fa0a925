"""Ranking candidate agents for one call by the queue's strategy.

Each strategy gives a score tuple per agent, smaller first; ties are broken by
proficiency in the required skills (higher first), then agent order, then id.

- longest-idle-agent: earliest ``idle_since`` (available the longest)
- round-robin: earliest ``last_offered_at`` (the agent offered least recently goes next)
- top-down: lowest ``order``; ring-progressively: the same order, several agents listed
- ring-all: every candidate is listed (all phones ring)
- fewest-calls: lowest ``calls_taken``; least-talk-time: lowest ``talk_time_s``
- random: a draw from the injected RNG
- most-skilled: highest proficiency, then longest idle
"""
from __future__ import annotations

import heapq
import random
from typing import Callable

from control.domain.models import Agent
from control.domain.skills import Reqs, proficiency

MULTI = ("ring-all", "ring-progressively")
EXPLAIN_TOP = 5

_PRIMARY: dict[str, Callable[[Agent, int, random.Random], tuple]] = {
    "longest-idle-agent": lambda a, p, r: (a.idle_since,),
    "round-robin": lambda a, p, r: (a.last_offered_at,),
    "top-down": lambda a, p, r: (a.order,),
    "ring-progressively": lambda a, p, r: (a.order,),
    "ring-all": lambda a, p, r: (a.order,),
    "fewest-calls": lambda a, p, r: (a.calls_taken,),
    "least-talk-time": lambda a, p, r: (a.talk_time_s,),
    "random": lambda a, p, r: (r.random(),),
    "most-skilled": lambda a, p, r: (-p, a.idle_since),
}


def score(strategy: str, agent: Agent, reqs: Reqs, rng: random.Random, prefix: tuple = ()) -> tuple:
    prof = proficiency(agent, reqs)
    return (*prefix, *_PRIMARY[strategy](agent, prof, rng), -prof, agent.order, agent.id)


def pick(strategy: str, candidates: list[Agent], reqs: Reqs, rng: random.Random,
         group_size: int = 3, prefix: Callable[[Agent], tuple] | None = None,
         ) -> tuple[list[Agent], list[tuple[tuple, Agent]]]:
    """Return (chosen agents in offer order, best few (score, agent) pairs for the explanation)."""
    if strategy not in _PRIMARY:
        raise ValueError(f"unknown strategy {strategy!r}")
    scored = [(score(strategy, a, reqs, rng, prefix(a) if prefix else ()), a) for a in candidates]
    if strategy == "ring-all":
        scored.sort(key=lambda sa: sa[0])
        return [a for _, a in scored], scored[:EXPLAIN_TOP]
    top = heapq.nsmallest(max(EXPLAIN_TOP, group_size), scored, key=lambda sa: sa[0])
    if strategy == "ring-progressively":
        return [a for _, a in top[:max(1, group_size)]], top[:EXPLAIN_TOP]
    return ([top[0][1]] if top else []), top[:EXPLAIN_TOP]

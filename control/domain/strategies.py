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

Only the best few are needed (the chosen ones and the explanation's top five), so a strategy
whose score starts with one plain value (``_LEAD``) is first narrowed on that value alone:
every agent above the k-th smallest lead loses to at least k others, whatever the rest of its
score. ``random`` and ``ring-all`` score everyone (a draw per candidate, in candidate order; all
phones ring).
"""
from __future__ import annotations

import heapq
import random
from itertools import compress, repeat
from operator import attrgetter, le
from typing import Any, Callable

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

# the agent field that is the score's first value after the prefix, for the strategies that can
# be narrowed on it (most-skilled: minus the proficiency, see _lead; random and ring-all: none)
LEAD_FIELDS = {
    "longest-idle-agent": "idle_since",
    "round-robin": "last_offered_at",
    "top-down": "order",
    "ring-progressively": "order",
    "fewest-calls": "calls_taken",
    "least-talk-time": "talk_time_s",
}
_LEAD: dict[str, Callable[[Agent], Any]] = {s: attrgetter(f) for s, f in LEAD_FIELDS.items()}
_ID = attrgetter("id")


def score(strategy: str, agent: Agent, reqs: Reqs, rng: random.Random, prefix: tuple = ()) -> tuple:
    prof = proficiency(agent, reqs)
    return (*prefix, *_PRIMARY[strategy](agent, prof, rng), -prof, agent.order, agent.id)


def pick(strategy: str, candidates: list[Agent], reqs: Reqs, rng: random.Random,
         group_size: int = 3, prefix: Callable[[Agent], tuple] | None = None,
         ) -> tuple[list[Agent], list[tuple[tuple, Agent]]]:
    """Return (chosen agents in offer order, best few (score, agent) pairs for the explanation)."""
    if strategy not in _PRIMARY:
        raise ValueError(f"unknown strategy {strategy!r}")
    keep = max(EXPLAIN_TOP, group_size)
    if strategy == "random":
        # one draw per candidate, in id order: the same draws whatever order the indexes found them in
        candidates = sorted(candidates, key=_ID)
    lead = _lead(strategy, reqs) if len(candidates) > keep else None
    if lead is not None:
        candidates = _narrow(candidates, keep, lead, prefix)
    scored = [(score(strategy, a, reqs, rng, prefix(a) if prefix else ()), a) for a in candidates]
    if strategy == "ring-all":
        scored.sort(key=lambda sa: sa[0])
        return [a for _, a in scored], scored[:EXPLAIN_TOP]
    top = heapq.nsmallest(keep, scored, key=lambda sa: sa[0])
    if strategy == "ring-progressively":
        return [a for _, a in top[:max(1, group_size)]], top[:EXPLAIN_TOP]
    return ([top[0][1]] if top else []), top[:EXPLAIN_TOP]


def _lead(strategy: str, reqs: Reqs) -> Callable[[Agent], Any] | None:
    if strategy == "most-skilled":
        return lambda a: -proficiency(a, reqs)
    return _LEAD.get(strategy)


def _narrow(candidates: list[Agent], keep: int, lead: Callable[[Agent], Any],
            prefix: Callable[[Agent], tuple] | None) -> list[Agent]:
    """The candidates that may be among the ``keep`` best: a score starts with (*prefix, lead)."""
    key = lead if prefix is None else (lambda a: (*prefix(a), lead(a)))
    keys = list(map(key, candidates))
    cut = heapq.nsmallest(keep, keys)[-1]
    return list(compress(candidates, map(le, keys, repeat(cut))))

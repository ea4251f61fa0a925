"""Indexed routing state: waiting calls bucketed, available agents indexed by queue and skill.

Calls that route identically and age alike share a bucket, ordered so that its head is both
the call to serve first and the most relaxed one (see buckets.py). That keeps each decision
proportional to the number of buckets and candidate agents, not to the number of waiting
calls; a freed agent only visits the buckets filed under its own queues and skills.

Offer order for an agent in several queues (``offer_order``):
- "priority" (default): the call with the highest effective priority across the
  agent's queues, then the oldest.
- "queue-priority": calls of the queue with the higher ``priority`` weight first.
- "agent-order": the agent's own queue list order (``Agent.queues``) first.
"""
from __future__ import annotations

import bisect
import heapq
import random
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from control.domain import priority as prio
from control.domain.buckets import Bucket, BucketIndex
from control.domain.models import Agent, AgentState, Call, CallState
from control.domain.queue_config import QueueConfig
from control.domain.skills import Reqs, base_requirements, overflow_requirements, relax_stage, relaxed
from control.domain.strategies import EXPLAIN_TOP, LEAD_FIELDS, pick

OFFER_ORDERS = ("priority", "queue-priority", "agent-order")
_default_rng = random.Random()


@dataclass
class Decision:
    call_id: str
    agent_ids: list[str]
    queue: str
    explanation: dict[str, Any] = field(default_factory=dict)


def signature(call: Call) -> tuple:
    """The fields of a call that routing reads (bucket, place in line, explanation)."""
    return (call.queue, call.tier, call.language, call.priority, tuple(call.requirements),
            tuple(call.extra_queues), call.entered_at, call.seq)


class Router:
    def __init__(self, queues: dict[str, QueueConfig], rng: random.Random | None = None,
                 offer_order: str = "priority"):
        if offer_order not in OFFER_ORDERS:
            raise ValueError(f"offer_order must be one of {OFFER_ORDERS}")
        self.queues = queues
        self.rng = rng or _default_rng
        self.offer_order = offer_order
        self.calls: dict[str, Call] = {}
        self._call_bucket: dict[str, tuple] = {}
        self._entry: dict[str, tuple] = {}                   # the call's live heap entry; others are stale
        self._signature: dict[str, tuple] = {}               # what routing read of the call when added
        self.buckets: dict[tuple, Bucket] = {}
        self.agents: dict[str, Agent] = {}                    # available agents only
        self._by_queue: dict[str, set[str]] = {}
        self._by_skill: dict[str, dict[str, int]] = {}
        self._leads: dict[tuple[str, str], list[tuple]] = {}     # (queue, field) -> sorted (value, id): _by_lead
        self._index = BucketIndex(lambda skill: len(self._by_skill.get(skill, ())))

    # -- index maintenance ---------------------------------------------------------
    def add_call(self, call: Call) -> None:
        if call.id in self.calls:
            self.remove_call(call.id)
        rq = prio.routing_queue(call, self.queues)
        queue = self.queues.get(rq) if rq else None
        home = self.queues.get(call.queue) if call.queue else None
        reqs = base_requirements(call, queue) if queue else tuple(sorted((r.skill, r.min_level)
                                                                          for r in call.requirements))
        serving = tuple(dict.fromkeys([q for q in [rq, *call.extra_queues] if q]))
        widened = self._widened(call, queue, serving[1:])
        vip = prio.is_vip(call, home)
        aging = (home.aging_every_s, home.aging_step) if home is not None and home.aging_every_s > 0 else (0, 0)
        key = (rq, reqs, prio.base_priority(call, home), serving, vip, aging, tuple(widened.items()))
        bucket = self.buckets.get(key)
        if bucket is None:
            loosest = relaxed(reqs, queue, len(queue.relax)) if queue is not None and queue.relax else reqs
            bucket = self.buckets[key] = Bucket(key, rq, reqs, key[2], serving, vip, aging, loosest, widened)
            self._index.add(bucket)
        self._entry[call.id] = bucket.push(call.entered_at, call.seq, call.id)
        self.calls[call.id] = call
        self._call_bucket[call.id] = bucket.key
        self._signature[call.id] = signature(call)

    def _widened(self, call: Call, routing: QueueConfig | None, extra: tuple[str, ...]) -> dict[str, tuple[Reqs, Reqs]]:
        """Per queue the call was widened to: what its agents must meet, and that after every relax step."""
        out = {}
        for name in extra:
            target = self.queues.get(name)
            if target is None or routing is None:
                continue   # an unknown queue serves with the routing queue's requirements, as before
            reqs = overflow_requirements(call.language, routing, target)
            out[name] = (reqs, relaxed(reqs, target, len(target.relax)) if target.relax else reqs)
        return out

    def remove_call(self, call_id: str) -> None:
        # lazy: the heap entry is dropped when it reaches the head
        self.calls.pop(call_id, None)
        self._signature.pop(call_id, None)
        key = self._call_bucket.pop(call_id, None)
        if self._entry.pop(call_id, None) is not None and key in self.buckets:
            live = self._entry
            self.buckets[key].drop(lambda e: live.get(e[2]) is e)

    def sync_calls(self, calls: list[Call]) -> None:
        """Make the waiting calls those of ``calls`` that ``decide`` would take (queued, no agent).
        A call read again with the same routing fields keeps its entry; others are added anew."""
        waiting = set()
        for call in calls:
            if call.state != CallState.QUEUED or call.agent_id is not None:
                continue
            waiting.add(call.id)
            if self._signature.get(call.id) == signature(call):
                self.calls[call.id] = call
            else:
                self.add_call(call)
        for call_id in [i for i in self.calls if i not in waiting]:
            self.remove_call(call_id)

    def add_agent(self, agent: Agent) -> None:
        self.remove_agent(agent.id)
        if agent.state != AgentState.AVAILABLE:
            return
        self.agents[agent.id] = agent
        for q in agent.queues:
            self._by_queue.setdefault(q, set()).add(agent.id)
        for (q, field), leads in self._leads.items():
            if q in agent.queues:
                bisect.insort(leads, (getattr(agent, field), agent.id))
        for skill, level in agent.skills.items():
            self._by_skill.setdefault(skill, {})[agent.id] = level

    def remove_agent(self, agent_id: str) -> None:
        agent = self.agents.pop(agent_id, None)
        if agent is None:
            return
        for q in agent.queues:
            self._by_queue.get(q, set()).discard(agent_id)
        for (q, field), leads in self._leads.items():
            if q in agent.queues:
                entry = (getattr(agent, field), agent_id)
                i = bisect.bisect_left(leads, entry)
                if i < len(leads) and leads[i] == entry:
                    del leads[i]
                else:   # the field changed in place since the agent was added
                    leads[:] = [e for e in leads if e[1] != agent_id]
        for skill in agent.skills:
            self._by_skill.get(skill, {}).pop(agent_id, None)

    def commit(self, decision: Decision) -> None:
        self.remove_call(decision.call_id)
        for agent_id in decision.agent_ids:
            self.remove_agent(agent_id)

    # -- lookups ---------------------------------------------------------------------
    def _head(self, bucket: Bucket) -> Call | None:
        heap, live = bucket.heap, self._entry
        while heap:
            entry = heap[0]
            if live.get(entry[2]) is entry:
                return self.calls[entry[2]]
            heapq.heappop(heap)
        if self.buckets.pop(bucket.key, None) is not None:
            self._index.discard(bucket)
        return None

    def _reqs_for(self, bucket: Bucket, call: Call, now: float, serving: str | None = None) -> tuple[Reqs, int]:
        """The call's requirements now for the agents of ``serving`` (default: the routing queue's),
        relaxed by the steps of the queue whose requirements they are."""
        name = serving if serving in bucket.widened else bucket.queue
        queue = self.queues.get(name) if name else None
        stage = relax_stage(queue, call.wait_s(now)) if queue else 0
        return bucket.reqs_at(queue, stage, name), stage

    def _candidates(self, bucket: Bucket, reqs: Reqs, call: Call, now: float) -> list[Agent]:
        by_queue = self._by_queue
        if bucket.widened:   # each widened queue's agents meet that queue's requirements
            found_by_id: dict[str, Agent] = {}
            for q in bucket.serving:
                q_reqs = self._reqs_for(bucket, call, now, q)[0] if q in bucket.widened else reqs
                found_by_id.update((a.id, a) for a in self._qualified(by_queue.get(q, ()), q_reqs))
            found = list(found_by_id.values())
        else:
            pools = [by_queue.get(q, ()) for q in bucket.serving]
            found = self._qualified(pools[0] if len(pools) == 1 else set().union(*pools), reqs)
        if bucket.vip and bucket.queue is not None:
            queue = self.queues.get(bucket.queue)
            if queue is not None and queue.vip_agents:
                seniors = [a for a in found if a.id in queue.vip_agents]
                if seniors:
                    return seniors
        return found

    def _qualified(self, pool, reqs: Reqs) -> list[Agent]:
        """The available agents of ``pool`` (ids) that meet ``reqs``."""
        by_skill = self._by_skill
        if not pool:
            return []
        if reqs:
            narrow = min(reqs, key=lambda r: len(by_skill.get(r[0], ())))
            holders = by_skill.get(narrow[0], {})
            if len(holders) < len(pool):
                ids = [i for i, lvl in holders.items() if lvl >= narrow[1] and i in pool]
            else:
                ids = [i for i in pool if holders.get(i, 0) >= narrow[1]]
            rest = [r for r in reqs if r is not narrow]
            if rest:
                ids = [i for i in ids
                       if all(by_skill.get(s, {}).get(i, 0) >= m for s, m in rest)]
            return [self.agents[i] for i in ids]
        return list(map(self.agents.__getitem__, pool))

    def _by_lead(self, bucket: Bucket, reqs: Reqs, strategy: str, keep: int) -> tuple[list[Agent], int] | None:
        """(The few candidates that may rank among the ``keep`` best, how many candidates in all), from
        the serving queue's agents kept sorted by the strategy's lead value (strategies.LEAD_FIELDS).
        For a Router kept across passes, and calls that need no skill and have one serving queue
        (the candidates are then that queue's agents); None otherwise."""
        field = LEAD_FIELDS.get(strategy)
        if field is None or reqs or len(bucket.serving) != 1 or self.offer_order == "agent-order":
            return None
        pool = self._by_queue.get(bucket.serving[0], ())
        if bucket.vip and bucket.queue is not None:
            queue = self.queues.get(bucket.queue)
            if queue is not None and any(i in pool for i in queue.vip_agents):
                return None   # the senior group: see _candidates
        key = (bucket.serving[0], field)
        leads = self._leads.get(key)
        if leads is None:
            leads = self._leads[key] = sorted((getattr(self.agents[i], field), i) for i in pool)
        if len(leads) > keep:
            leads = leads[:bisect.bisect_right(leads, leads[keep - 1][0], lo=keep, key=itemgetter(0))]
        return [self.agents[i] for _, i in leads], len(pool)

    def _call_key(self, call: Call, bucket: Bucket, now: float) -> tuple:
        key = bucket.order_key(call, now)
        if self.offer_order == "queue-priority":
            routing = self.queues.get(bucket.queue) if bucket.queue else None
            return (-(routing.priority if routing else 0), *key)
        return key

    # -- decisions -------------------------------------------------------------------
    def _decide_bucket(self, bucket: Bucket, call: Call, now: float, kept: bool = False) -> Decision | None:
        reqs, stage = self._reqs_for(bucket, call, now)
        queue = self.queues.get(bucket.queue) if bucket.queue else None
        strategy = queue.strategy if queue else "longest-idle-agent"
        group_size = queue.ring_group_size if queue else 3
        found = self._by_lead(bucket, reqs, strategy, max(EXPLAIN_TOP, group_size)) if kept else None
        if found is not None:
            candidates, total = found
        else:
            candidates = self._candidates(bucket, reqs, call, now)
            total = len(candidates)
        if not candidates:
            return None
        prefix = None
        if self.offer_order == "agent-order":
            def prefix(a: Agent, q=bucket.queue) -> tuple:
                return (a.queues.index(q) if q in a.queues else len(a.queues),)
        chosen, top = pick(strategy, candidates, reqs, self.rng, group_size, prefix)
        home = self.queues.get(call.queue) if call.queue else None
        explanation = {
            "kind": "route",
            "queue": bucket.queue,
            "home_queue": call.queue,
            "strategy": strategy,
            "rule": f"strategy:{strategy}" + (" (vip senior group)" if bucket.vip and queue
                                               and queue.vip_agents and chosen[0].id in queue.vip_agents else ""),
            "offer_order": self.offer_order,
            "requirements": dict(reqs),
            "relax_stage": stage,
            **({"widened_requirements": {q: dict(self._reqs_for(bucket, call, now, q)[0]) for q in bucket.widened}}
               if bucket.widened else {}),
            "priority": {"base": call.priority, "tier": call.tier,
                         "tier_boost": bucket.base - call.priority,
                         "aging": prio.aging_bonus(home, call.wait_s(now)),
                         "effective": prio.effective_priority(call, home, now)},
            "wait_s": round(call.wait_s(now), 3),
            "candidates_total": total,
            "candidates": [{"agent": a.id, "score": [round(x, 3) if isinstance(x, float) else x
                                                     for x in s[:-1]]} for s, a in top],
            "chosen": [a.id for a in chosen],
        }
        return Decision(call.id, [a.id for a in chosen], bucket.queue or "", explanation)

    def best_agent_for(self, call_id: str, now: float) -> Decision | None:
        """The best available agent(s) for one waiting call (does not commit)."""
        key = self._call_bucket.get(call_id)
        if key is None:
            return None
        return self._decide_bucket(self.buckets[key], self.calls[call_id], now)

    def best_call_for(self, agent_id: str, now: float) -> Decision | None:
        """The call a freed agent should take, by the offer order (does not commit)."""
        agent = self.agents.get(agent_id)
        if agent is None:
            return None
        best, best_key = None, None
        skills = agent.skills
        agent_order = self.offer_order == "agent-order"
        for rank, q in enumerate(agent.queues):
            for group in self._index.servable(q, skills):
                for key in tuple(group.keys):
                    bucket = self.buckets.get(key)
                    if bucket is None:
                        continue
                    call = self._head(bucket)
                    if call is None:
                        continue
                    reqs, _ = self._reqs_for(bucket, call, now, q)
                    if reqs is not bucket.reqs_in(q)[1] and not all(skills.get(s, 0) >= m for s, m in reqs):
                        continue
                    k = self._call_key(call, bucket, now)
                    if agent_order:
                        k = (rank, *k)
                    if best_key is None or k < best_key:
                        best, best_key = (bucket, call), k
        if best is None:
            return None
        bucket, call = best
        decision = self._decide_bucket(bucket, call, now)
        if decision is None:
            return None
        decision.agent_ids = [agent_id]
        decision.explanation["chosen"] = [agent_id]
        decision.explanation["trigger"] = "agent_freed"
        return decision

    def decide_all(self, now: float, kept: bool = False) -> list[Decision]:
        """Serve calls in effective-priority order; each available agent is used at most once.
        ``kept``: this Router was kept across passes (LiveRouting)."""
        heap = []
        for first in list(self.buckets.values()):
            call = self._head(first)
            if call is not None:
                heap.append((self._call_key(call, first, now), first.key))
        heapq.heapify(heap)
        decisions: list[Decision] = []
        while heap and self.agents:
            _, key = heapq.heappop(heap)
            bucket = self.buckets.get(key)
            if bucket is None:
                continue
            call = self._head(bucket)
            if call is None:
                continue
            decision = self._decide_bucket(bucket, call, now, kept)
            if decision is None:
                continue  # the head is the most relaxed call of its bucket: nobody in it can be served
            decisions.append(decision)
            self.commit(decision)
            nxt = self._head(bucket)
            if nxt is not None:
                heapq.heappush(heap, (self._call_key(nxt, bucket, now), key))
        return decisions


"""Buckets of waiting calls, and the index a freed agent uses to visit only buckets it may serve.

A bucket holds calls that route identically and age alike: same routing queue, base
requirements, base priority, serving queues, VIP flag and home-queue aging rate. Aging adds
the same amount per unit of waiting time to every call of a bucket, so ordering a bucket by
(entered_at, seq) is also its effective-priority order at any ``now``; and its head, having
waited longest, is the most relaxed call: if the head has no candidate agent, no call of the
bucket has one. (This assumes ``entered_at <= now``; a call without ``entered_at`` waits 0 s
and goes last.)

Buckets with the same routing queue and requirements form a group. Per serving queue, each
group is filed under one skill of its loosest requirements (after every relax step): any agent
that can take a call of the group holds that skill, so an agent only looks at groups filed
under its own skills (or under none, for groups that need nothing).

A queue the calls were widened to serves them with requirements of its own (skills.py,
``overflow_requirements``), relaxed by its own steps: ``widened`` holds them per queue, and the
index files the bucket's group for that queue under them.
"""
from __future__ import annotations

import heapq
import math
from typing import Callable

from control.domain.models import Call
from control.domain.queue_config import QueueConfig
from control.domain.skills import Reqs, relaxed

NO_ENTRY = float("inf")   # heap position of a call without entered_at: after every dated call


class Bucket:
    __slots__ = ("key", "queue", "reqs", "base", "serving", "vip", "aging", "heap", "live", "_relaxed", "loosest",
                 "widened")

    def __init__(self, key, queue: str | None, reqs: Reqs, base: int, serving: tuple[str, ...], vip: bool,
                 aging: tuple[float, int], loosest: Reqs, widened: dict[str, tuple[Reqs, Reqs]] | None = None):
        self.key, self.queue, self.reqs, self.base, self.serving, self.vip = key, queue, reqs, base, serving, vip
        self.aging = aging        # the home queue's (aging_every_s, aging_step); (0, 0) when off
        self.heap: list[tuple[float, int, str]] = []
        self.live = 0             # heap entries of calls still waiting here; the others are stale
        self.loosest = loosest    # after every relax step: an agent failing these never qualifies
        self.widened = widened or {}    # queue widened to -> (its requirements, its loosest)
        self._relaxed: dict[tuple[str | None, int], Reqs] = {(queue, 0): reqs}

    def reqs_in(self, serving: str) -> tuple[Reqs, Reqs]:
        """(requirements, loosest requirements) of the calls for the agents of ``serving``."""
        return self.widened.get(serving) or (self.reqs, self.loosest)

    def push(self, entered_at: float | None, seq: int, call_id: str) -> tuple[float, int, str]:
        entry = (NO_ENTRY if entered_at is None else entered_at, seq, call_id)
        heapq.heappush(self.heap, entry)
        self.live += 1
        return entry

    def drop(self, live: Callable[[tuple], bool]) -> None:
        """One call left (its entry goes stale). A bucket kept across passes whose head keeps
        waiting would pile up stale entries behind it: past twice the live ones, they are swept."""
        self.live -= 1
        if len(self.heap) > 32 and len(self.heap) > 2 * self.live:
            self.heap = [e for e in self.heap if live(e)]
            heapq.heapify(self.heap)

    def order_key(self, call: Call, now: float) -> tuple:
        """priority.order_key(call, home queue, now), from what the bucket already knows."""
        every, step = self.aging
        entered = call.entered_at
        eff = self.base
        if every > 0 and entered is not None:
            eff += step * int(math.floor(max(0.0, now - entered) / every))
        return (-eff, entered if entered is not None else now, call.seq, call.id)

    def reqs_at(self, queue: QueueConfig | None, stage: int, serving: str | None = None) -> Reqs:
        """The requirements at relax ``stage`` for the agents of ``serving`` (default: the routing
        queue); ``queue`` is the queue whose relax steps apply."""
        name = serving if serving in self.widened else self.queue
        got = self._relaxed.get((name, stage))
        if got is None:
            reqs, loosest = self.reqs_in(name) if name is not None else (self.reqs, self.loosest)
            got = relaxed(reqs, queue, stage) if queue else reqs
            if got == loosest:
                got = loosest    # the same object, so callers can skip re-checking it
            self._relaxed[(name, stage)] = got
        return got


class Group:
    __slots__ = ("loosest", "skill", "keys")

    def __init__(self, loosest: Reqs, skill: str | None):
        self.loosest, self.skill = loosest, skill
        self.keys: set[tuple] = set()


class BucketIndex:
    def __init__(self, holders: Callable[[str], int]):
        self._holders = holders   # how many agents hold a skill: groups are filed under a rare one
        self._groups: dict[str, dict[tuple, Group]] = {}                      # queue -> (rq, reqs) -> group
        self._filed: dict[str, dict[str | None, dict[tuple, Group]]] = {}     # queue -> skill -> ...

    def add(self, bucket: Bucket) -> None:
        for q in bucket.serving:
            reqs, loosest = bucket.reqs_in(q)
            gk = (bucket.queue, reqs)
            groups = self._groups.setdefault(q, {})
            group = groups.get(gk)
            if group is None:
                skill = min(loosest, key=lambda r: (self._holders(r[0]), r[0]))[0] if loosest else None
                group = groups[gk] = Group(loosest, skill)
                self._filed.setdefault(q, {}).setdefault(skill, {})[gk] = group
            group.keys.add(bucket.key)

    def discard(self, bucket: Bucket) -> None:
        for q in bucket.serving:
            gk = (bucket.queue, bucket.reqs_in(q)[0])
            group = self._groups.get(q, {}).get(gk)
            if group is None:
                continue
            group.keys.discard(bucket.key)
            if not group.keys:
                del self._groups[q][gk]
                filed = self._filed[q][group.skill]
                del filed[gk]
                if not filed:
                    del self._filed[q][group.skill]

    def servable(self, queue: str, skills: dict[str, int]) -> list[Group]:
        """Groups serving ``queue`` whose loosest requirements ``skills`` meet."""
        filed = self._filed.get(queue)
        if not filed:
            return []
        out = list(filed.get(None, {}).values())
        for skill in skills:
            groups = filed.get(skill)
            if not groups:
                continue
            for group in groups.values():
                if all(skills.get(s, 0) >= m for s, m in group.loosest):
                    out.append(group)
        return out

"""A queue simulation to check a staffing plan before going live (pure, seeded): Poisson arrivals at each
interval's forecast rate, exponential handle times with its AHT, first come first served, and the number
of agents the plan puts on the phones in each interval (an agent busy when their interval ends finishes
the call). Callers do not abandon (Erlang C's assumption), so the result is comparable with it.

It answers: with this staffing, what share of the day's calls is answered within the target?
"""
from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass
from typing import Sequence

from control.domain.workforce.forecast import INTERVAL_S


@dataclass(frozen=True)
class SimResult:
    calls: int
    within: int
    service_level: float
    asa_s: float                 # mean wait of all callers (an abandoner's until they hung up)
    abandoned: int = 0


def simulate(offered: Sequence[float], aht_s: Sequence[float], agents: Sequence[int], target_s: float,
             seed: int = 1, patience_s: float | None = None) -> SimResult:
    """``patience_s``: callers hang up after an exponential patience of this mean (None: they never do,
    Erlang C's assumption; set: Erlang A's). An abandoning caller counts as not answered in time."""
    rng = random.Random(seed)
    arrivals: list[tuple[float, float, float]] = []
    for i, (calls, aht) in enumerate(zip(offered, aht_s)):
        t, end = float(i * INTERVAL_S), float((i + 1) * INTERVAL_S)
        rate = calls / INTERVAL_S
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= end:
                break
            patience = rng.expovariate(1 / patience_s) if patience_s else math.inf
            arrivals.append((t, rng.expovariate(1 / aht), patience))
    free_at: list[float] = []        # a heap of the times busy agents become free
    waiting_total, within, abandoned = 0.0, 0, 0
    for at, service, patience in arrivals:
        slot = min(int(at // INTERVAL_S), len(agents) - 1)
        staff = agents[slot]
        while free_at and free_at[0] <= at:
            heapq.heappop(free_at)
        if len(free_at) < staff:
            start = at
        else:
            # wait for the earliest agent to free (agents beyond this interval's staff leave when free)
            while len(free_at) > staff:
                heapq.heappop(free_at)
            start = heapq.heappop(free_at) if staff else at + 10 * INTERVAL_S
            if start - at > patience:          # hangs up first: the agent stays free for the next caller
                if staff:
                    heapq.heappush(free_at, start)
                abandoned += 1
                waiting_total += patience
                continue
        heapq.heappush(free_at, start + service)
        wait = start - at
        waiting_total += wait
        within += wait <= target_s
    n = len(arrivals)
    return SimResult(n, within, round(within / n, 4) if n else 1.0, round(waiting_total / n, 1) if n else 0.0,
                     abandoned)

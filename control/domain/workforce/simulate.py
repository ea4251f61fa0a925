"""A queue simulation to check a staffing plan before going live (pure, seeded): Poisson arrivals at each
interval's forecast rate, exponential handle times with its AHT, first come first served, and the number
of agents the plan puts on the phones in each interval (an agent busy when their interval ends finishes
the call). Callers do not abandon (Erlang C's assumption), so the result is comparable with it.

It answers: with this staffing, what share of the day's calls is answered within the target?
"""
from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from typing import Sequence

from control.domain.workforce.forecast import INTERVAL_S


@dataclass(frozen=True)
class SimResult:
    calls: int
    within: int
    service_level: float
    asa_s: float


def simulate(offered: Sequence[float], aht_s: Sequence[float], agents: Sequence[int], target_s: float,
             seed: int = 1) -> SimResult:
    rng = random.Random(seed)
    arrivals: list[tuple[float, float]] = []
    for i, (calls, aht) in enumerate(zip(offered, aht_s)):
        t, end = float(i * INTERVAL_S), float((i + 1) * INTERVAL_S)
        rate = calls / INTERVAL_S
        while rate > 0:
            t += rng.expovariate(rate)
            if t >= end:
                break
            arrivals.append((t, rng.expovariate(1 / aht)))
    free_at: list[float] = []        # a heap of the times busy agents become free
    waiting_total, within = 0.0, 0
    for at, service in arrivals:
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
        heapq.heappush(free_at, start + service)
        wait = start - at
        waiting_total += wait
        within += wait <= target_s
    n = len(arrivals)
    return SimResult(n, within, round(within / n, 4) if n else 1.0, round(waiting_total / n, 1) if n else 0.0)

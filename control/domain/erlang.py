"""Erlang C: probability of waiting, service level, average speed of answer, agents needed.

traffic is the offered load in erlangs (arrival rate per second x average handle time).
"""
from __future__ import annotations

import math


def offered_load(arrivals_per_s: float, aht_s: float) -> float:
    return max(0.0, arrivals_per_s) * max(0.0, aht_s)


def erlang_b(traffic: float, agents: int) -> float:
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a call has to wait (1.0 when agents cannot keep up)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = erlang_b(traffic, agents)
    return agents * b / (agents - traffic * (1 - b))


def service_level(traffic: float, agents: int, aht_s: float, target_s: float) -> float:
    """Share of calls answered within ``target_s``."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return max(0.0, 1.0 - erlang_c(traffic, agents) * math.exp(-(agents - traffic) * target_s / aht_s))


def asa(traffic: float, agents: int, aht_s: float) -> float:
    """Average speed of answer in seconds (inf when agents cannot keep up)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(traffic, agents) * aht_s / (agents - traffic)


def agents_needed(traffic: float, aht_s: float, target_s: float, target_level: float = 0.8,
                  max_agents: int = 100_000) -> int:
    """Fewest agents reaching ``target_level`` of calls answered within ``target_s``."""
    if traffic <= 0:
        return 0
    n = max(1, math.floor(traffic) + 1)
    while n <= max_agents:
        if service_level(traffic, n, aht_s, target_s) >= target_level:
            return n
        n += 1
    raise ValueError(f"more than {max_agents} agents needed for {traffic} erlangs")

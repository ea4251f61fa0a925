"""Erlang A (M/M/N+M, Palm): Erlang C with callers who abandon, each after an exponential patience.

Where abandonment matters, Erlang C overstates the waiting (nobody leaves, so the queue grows without
limit when agents cannot keep up); Erlang A counts the callers who give up. Computed numerically:

- the number of callers in the system is a birth-death chain (arrivals ``lam``; departures
  ``min(k, n) * mu + max(k - n, 0) * theta``), whose stationary distribution is summed in log space
  until its tail is negligible;
- an arriving caller sees that distribution (PASTA). One who finds ``j`` callers waiting ahead is
  answered after ``j + 1`` departures from ahead (rate ``n * mu + i * theta`` with ``i`` ahead), unless
  their own patience runs out first (rate ``theta``); the probability of being answered within ``t`` is
  computed for every ``j`` at once by uniformisation.

The service level is the share of all arriving callers answered within the target (abandoners count as
not answered in time). With ``theta`` near 0 the figures are Erlang C's (tests/unit/test_workforce.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

TAIL = 40.0      # stop summing the chain's states once they weigh e^-40 of the largest
MAX_STATES = 20_000


@dataclass(frozen=True)
class ErlangA:
    agents: int
    p_wait: float          # share of callers who wait at all
    p_abandon: float       # share of callers who hang up before an answer
    service_level: float   # share of callers answered within the target


def _stationary(lam: float, mu: float, theta: float, n: int) -> list[float]:
    logs, k = [0.0], 0
    top = 0.0
    while True:
        k += 1
        death = min(k, n) * mu + max(k - n, 0) * theta
        logs.append(logs[-1] + math.log(lam) - math.log(death))
        top = max(top, logs[-1])
        if (k > n and logs[-1] < top - TAIL and logs[-1] < logs[-2]) or k >= MAX_STATES:
            break
    weights = [math.exp(x - top) for x in logs]
    total = sum(weights)
    return [w / total for w in weights]


def _answered_within(mu: float, theta: float, n: int, waiting: int, t: float) -> list[float]:
    """P(answered within t | j callers ahead on arrival), j = 0..waiting-1."""
    if waiting <= 0:
        return []
    rates = [n * mu + j * theta for j in range(waiting)]
    big = rates[-1] + theta
    advance = [r / big for r in rates]
    stay = [1 - a - theta / big for a in advance]
    mean = big * t
    steps = int(mean + 12 * math.sqrt(mean) + 30)
    v = [0.0] * waiting
    out = [0.0] * waiting
    for k in range(steps + 1):
        weight = math.exp(-mean + k * math.log(mean) - math.lgamma(k + 1)) if mean > 0 else float(k == 0)
        for j in range(waiting):
            out[j] += weight * v[j]
        v = [advance[0] + stay[0] * v[0]] + [advance[j] * v[j - 1] + stay[j] * v[j] for j in range(1, waiting)]
    return out


def erlang_a(arrivals_per_s: float, aht_s: float, patience_s: float, agents: int, target_s: float) -> ErlangA:
    if arrivals_per_s <= 0:
        return ErlangA(agents, 0.0, 0.0, 1.0)
    if agents <= 0:
        return ErlangA(agents, 1.0, 1.0, 0.0)
    lam, mu, theta = arrivals_per_s, 1 / aht_s, 1 / patience_s
    pi = _stationary(lam, mu, theta, agents)
    queue = pi[agents:]
    p_wait = sum(queue)
    p_abandon = theta * sum(j * p for j, p in enumerate(queue)) / lam
    within = _answered_within(mu, theta, agents, len(queue), target_s)
    level = sum(pi[:agents]) + sum(p * w for p, w in zip(queue, within))
    return ErlangA(agents, round(p_wait, 6), round(p_abandon, 6), round(level, 6))


def agents_needed(arrivals_per_s: float, aht_s: float, patience_s: float, target_s: float, level: float = 0.8,
                  max_agents: int = 10_000) -> int:
    if arrivals_per_s <= 0:
        return 0
    n = 1
    while n <= max_agents:
        if erlang_a(arrivals_per_s, aht_s, patience_s, n, target_s).service_level >= level:
            return n
        n += 1
    raise ValueError(f"more than {max_agents} agents needed")

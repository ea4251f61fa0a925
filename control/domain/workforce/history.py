"""The bundled history generator: a seasonal synthetic call history with noise, for the tests, the
demo and the forecast's reported accuracy (docs/workforce.md).

Calls per 15-minute interval = ``daily_calls`` x the weekday's factor x the intraday shape (a morning
peak at 10:30 and a smaller afternoon one at 14:30, open 08:00-20:00), x (1 + weekly growth)^week, then
Poisson noise. Handle time per call: lognormal-ish around ``aht_s`` (exponential x 0.5 + 0.5 AHT).
"""
from __future__ import annotations

import math
import random
from datetime import date, timedelta

from control.domain.workforce.forecast import SLOTS, DayHistory

WEEKDAY = (1.15, 1.0, 0.95, 0.95, 1.05, 0.45, 0.0)      # Monday..Sunday


def shape() -> list[float]:
    raw = []
    for s in range(SLOTS):
        h = s / 4 + 0.125
        if not 8 <= h < 20:
            raw.append(0.0)
            continue
        raw.append(math.exp(-((h - 10.5) / 1.6) ** 2) + 0.7 * math.exp(-((h - 14.5) / 2.0) ** 2) + 0.1)
    total = sum(raw)
    return [x / total for x in raw]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def generate(first: date, days: int, daily_calls: float = 1200, aht_s: float = 240, weekly_growth: float = 0.0,
             seed: int = 7) -> dict[date, DayHistory]:
    rng = random.Random(seed)
    profile = shape()
    out = {}
    for i in range(days):
        day = first + timedelta(days=i)
        mean_day = daily_calls * WEEKDAY[day.weekday()] * (1 + weekly_growth) ** (i // 7)
        offered = [_poisson(rng, mean_day * p) for p in profile]
        handle = [sum(aht_s * (0.5 + 0.5 * rng.expovariate(1.0)) for _ in range(n)) for n in offered]
        out[day] = DayHistory(offered=[float(x) for x in offered], answered=[float(x) for x in offered],
                              handle_s=handle)
    return out

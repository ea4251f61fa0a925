"""Agents needed per interval: Erlang C (control/domain/erlang.py) for the service-level target, or Erlang A
(control/domain/workforce/erlang_a.py) when the callers' patience is given, then shrinkage (breaks,
training, absence: the share of paid time agents are not on the phones)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from control.domain import erlang
from control.domain.workforce import erlang_a
from control.domain.workforce.forecast import INTERVAL_S, Interval


@dataclass(frozen=True)
class Target:
    service_level_s: float = 20.0      # answered within this many seconds...
    level: float = 0.8                 # ...for this share of the calls
    shrinkage: float = 0.3             # 0..0.95
    patience_s: float | None = None    # mean patience of callers: Erlang A; None: Erlang C (nobody hangs up)


@dataclass(frozen=True)
class Requirement:
    label: str
    offered: float
    aht_s: float
    erlangs: float
    agents: int                        # on the phones (Erlang C)
    scheduled: int                     # agents / (1 - shrinkage)
    service_level: float               # expected with ``agents``
    abandon: float | None = None       # expected share of callers hanging up (Erlang A only)


def required(interval: Interval, target: Target) -> Requirement:
    rate = interval.offered / INTERVAL_S
    traffic = erlang.offered_load(rate, interval.aht_s)
    shrink = min(max(target.shrinkage, 0.0), 0.95)
    abandon: float | None = None
    if target.patience_s:
        agents = erlang_a.agents_needed(rate, interval.aht_s, target.patience_s, target.service_level_s, target.level)
        result = erlang_a.erlang_a(rate, interval.aht_s, target.patience_s, agents, target.service_level_s)
        level, abandon = result.service_level, round(result.p_abandon, 4)
    else:
        agents = erlang.agents_needed(traffic, interval.aht_s, target.service_level_s, target.level)
        level = erlang.service_level(traffic, agents, interval.aht_s, target.service_level_s)
    return Requirement(interval.label, interval.offered, interval.aht_s, round(traffic, 3), agents,
                       math.ceil(agents / (1 - shrink)) if agents else 0, round(level, 4), abandon)


def plan(intervals: Sequence[Interval], target: Target) -> list[Requirement]:
    return [required(iv, target) for iv in intervals]

"""Agents needed per interval: Erlang C (control/domain/erlang.py) for the service-level target, then
shrinkage (breaks, training, absence: the share of paid time agents are not on the phones)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from control.domain import erlang
from control.domain.workforce.forecast import INTERVAL_S, Interval


@dataclass(frozen=True)
class Target:
    service_level_s: float = 20.0      # answered within this many seconds...
    level: float = 0.8                 # ...for this share of the calls
    shrinkage: float = 0.3             # 0..0.95


@dataclass(frozen=True)
class Requirement:
    label: str
    offered: float
    aht_s: float
    erlangs: float
    agents: int                        # on the phones (Erlang C)
    scheduled: int                     # agents / (1 - shrinkage)
    service_level: float               # expected with ``agents``


def required(interval: Interval, target: Target) -> Requirement:
    traffic = erlang.offered_load(interval.offered / INTERVAL_S, interval.aht_s)
    agents = erlang.agents_needed(traffic, interval.aht_s, target.service_level_s, target.level)
    shrink = min(max(target.shrinkage, 0.0), 0.95)
    return Requirement(interval.label, interval.offered, interval.aht_s, round(traffic, 3), agents,
                       math.ceil(agents / (1 - shrink)) if agents else 0,
                       round(erlang.service_level(traffic, agents, interval.aht_s, target.service_level_s), 4))


def plan(intervals: Sequence[Interval], target: Target) -> list[Requirement]:
    return [required(iv, target) for iv in intervals]

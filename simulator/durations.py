"""How long simulated people take: a fixed number of seconds, or a draw per call from a distribution.

Scenario syntax (docs/simulator.md, Phones): ``4`` (always 4 s), ``{dist: exponential, mean: 4}``,
``{dist: lognormal, mean: 4, sd: 2}`` (the mean and standard deviation of the seconds themselves,
not of their logarithm). Draws come from a ``random.Random`` the caller seeds, so a scenario with a
``seed`` draws the same durations on every run.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Protocol

SYNTAX = "seconds (4), {dist: exponential, mean: 4} or {dist: lognormal, mean: 4, sd: 2}"
_FIELDS = {"exponential": {"dist", "mean"}, "lognormal": {"dist", "mean", "sd"}}


class Duration(Protocol):
    def draw(self) -> float:
        """Seconds for the next call."""


@dataclass(frozen=True)
class Fixed:
    seconds: float

    def draw(self) -> float:
        return self.seconds


@dataclass(frozen=True)
class Exponential:
    mean: float
    rng: random.Random

    def draw(self) -> float:
        return self.rng.expovariate(1.0 / self.mean) if self.mean > 0 else 0.0


@dataclass(frozen=True)
class LogNormal:
    mean: float
    sd: float
    rng: random.Random

    def draw(self) -> float:
        sigma2 = math.log(1.0 + (self.sd / self.mean) ** 2)
        return self.rng.lognormvariate(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2))


def as_duration(value: float | Duration | None) -> Duration | None:
    """Plain seconds become ``Fixed``; None stays None (never / not set)."""
    if value is None or isinstance(value, (Fixed, Exponential, LogNormal)):
        return value
    if isinstance(value, (int, float)):
        return Fixed(float(value))
    return value


def problem(spec: Any) -> str | None:
    """What is wrong with a duration as written in a scenario, or None."""
    if isinstance(spec, bool) or not isinstance(spec, (int, float, dict)):
        return f"{spec!r} is not a duration"
    if not isinstance(spec, dict):
        return "a duration cannot be negative" if spec < 0 else None
    kind = spec.get("dist")
    if kind not in _FIELDS:
        return f"unknown distribution {kind!r} (exponential or lognormal)"
    extra = set(spec) - _FIELDS[kind]
    if extra:
        return f"{kind} takes {sorted(_FIELDS[kind] - {'dist'})}, not {sorted(extra)}"
    for name in sorted(_FIELDS[kind] - {"dist"}):
        value = spec.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            return f"{kind} needs {name}: a number of seconds above 0"
    return None


def from_spec(spec: Any, rng: random.Random) -> Duration:
    """A checked spec (``problem`` returned None) as a Duration drawing from ``rng``."""
    if not isinstance(spec, dict):
        return Fixed(float(spec))
    if spec["dist"] == "exponential":
        return Exponential(float(spec["mean"]), rng)
    return LogNormal(float(spec["mean"]), float(spec["sd"]), rng)

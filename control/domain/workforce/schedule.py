"""Shifts, coverage and adherence (pure; docs/workforce.md, Schedules and adherence).

A shift is an agent's working time with breaks in it; the scheduled activity at a moment is ``phone``
(in the shift, not on a break), ``break`` or ``off``. The agent's state log says what they did: on the
phones when available, reserved, on a call or in wrap-up; on a break when on break; ``other`` when not
ready; ``off`` when logged out.

- **Adherence**: the share of the scheduled time (phone and break) in which the agent did what the
  schedule said.
- **Conformance**: the agent's time on the phones over their scheduled phone time (working as much as
  planned, whenever).
- **Live**: an agent whose activity differs from the scheduled one for more than the grace minutes is
  flagged.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Sequence

PHONE_STATES = ("available", "reserved", "on_call", "wrap_up")
ACTIVITY = {**{s: "phone" for s in PHONE_STATES}, "break": "break", "not_ready": "other", "logged_out": "off"}


@dataclass(frozen=True)
class Shift:
    agent_id: str
    start: datetime
    end: datetime
    breaks: tuple[tuple[datetime, datetime], ...] = ()

    def activity(self, at: datetime) -> str:
        if not self.start <= at < self.end:
            return "off"
        return "break" if any(a <= at < b for a, b in self.breaks) else "phone"

    def changes(self) -> list[datetime]:
        return sorted({self.start, self.end, *(t for b in self.breaks for t in b)})


@dataclass(frozen=True)
class StateChange:
    agent_id: str
    state: str
    at: datetime


def scheduled(shifts: Sequence[Shift], agent_id: str, at: datetime) -> str:
    for s in shifts:
        if s.agent_id == agent_id and s.start <= at < s.end:
            return s.activity(at)
    return "off"


def actual(changes: Sequence[StateChange], at: datetime) -> str:
    """The activity of the last change at or before ``at`` (``changes`` of one agent, in order)."""
    state = "logged_out"
    for c in changes:
        if c.at > at:
            break
        state = c.state
    return ACTIVITY.get(state, "other")


def coverage(shifts: Sequence[Shift], start: datetime, slots: int, slot_s: int = 900) -> list[float]:
    """Agents on the phones per interval from ``start`` (a part of an interval counts as that part)."""
    out = []
    for i in range(slots):
        a, b = start + timedelta(seconds=i * slot_s), start + timedelta(seconds=(i + 1) * slot_s)
        total = 0.0
        for s in shifts:
            total += _phone_seconds(s, a, b) / slot_s
        out.append(round(total, 2))
    return out


def _phone_seconds(s: Shift, a: datetime, b: datetime) -> float:
    lo, hi = max(a, s.start), min(b, s.end)
    if lo >= hi:
        return 0.0
    seconds = (hi - lo).total_seconds()
    for x, y in s.breaks:
        blo, bhi = max(lo, x), min(hi, y)
        if blo < bhi:
            seconds -= (bhi - blo).total_seconds()
    return seconds


def _cuts(shifts: Sequence[Shift], changes: Sequence[StateChange], start: datetime, end: datetime) -> list[datetime]:
    points = {start, end}
    for s in shifts:
        points.update(t for t in s.changes() if start < t < end)
    points.update(c.at for c in changes if start < c.at < end)
    return sorted(points)


@dataclass(frozen=True)
class Adherence:
    agent_id: str
    scheduled_s: float        # phone + break time scheduled
    adherent_s: float         # of it, doing what was scheduled
    scheduled_phone_s: float
    phone_s: float            # on the phones, scheduled or not

    @property
    def adherence(self) -> float | None:
        return round(self.adherent_s / self.scheduled_s, 4) if self.scheduled_s else None

    @property
    def conformance(self) -> float | None:
        return round(self.phone_s / self.scheduled_phone_s, 4) if self.scheduled_phone_s else None


def adherence(agent_id: str, shifts: Sequence[Shift], changes: Sequence[StateChange], start: datetime,
              end: datetime) -> Adherence:
    mine = [s for s in shifts if s.agent_id == agent_id]
    log = sorted((c for c in changes if c.agent_id == agent_id), key=lambda c: c.at)
    cuts = _cuts(mine, log, start, end)
    scheduled_s = adherent_s = phone_plan_s = phone_s = 0.0
    for a, b in zip(cuts, cuts[1:]):
        span = (b - a).total_seconds()
        plan, did = scheduled(mine, agent_id, a), actual(log, a)
        if plan != "off":
            scheduled_s += span
            adherent_s += span if plan == did else 0.0
        phone_plan_s += span if plan == "phone" else 0.0
        phone_s += span if did == "phone" else 0.0
    return Adherence(agent_id, scheduled_s, adherent_s, phone_plan_s, phone_s)


@dataclass(frozen=True)
class Flag:
    agent_id: str
    scheduled: str
    actual: str
    since: datetime
    minutes: float


def live_flags(shifts: Sequence[Shift], changes: Mapping[str, Sequence[StateChange]], now: datetime,
               grace_min: float = 5.0, agents: Iterable[str] | None = None) -> list[Flag]:
    """Agents out of their scheduled activity for more than ``grace_min`` minutes now. An agent with no
    shift now and logged out is fine; an agent logged in with no shift is flagged (working unscheduled)."""
    names = set(agents or ()) | {s.agent_id for s in shifts} | set(changes)
    out = []
    for agent_id in sorted(names):
        log = sorted(changes.get(agent_id, ()), key=lambda c: c.at)
        plan, did = scheduled(shifts, agent_id, now), actual(log, now)
        if plan == did:
            continue
        mine = [s for s in shifts if s.agent_id == agent_id]
        since = max([t for s in mine for t in s.changes() if t <= now] + [c.at for c in log if c.at <= now]
                    or [now])
        minutes = (now - since).total_seconds() / 60
        if minutes > grace_min:
            out.append(Flag(agent_id, plan, did, since, round(minutes, 1)))
    return out

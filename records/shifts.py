"""Shifts in and out of the database, and the CSV import (docs/workforce.md, Schedules and adherence).

CSV columns: ``agent,date,start,end,breaks`` with local times in the console's time zone; ``breaks`` is
``HH:MM-HH:MM`` items separated by ``;`` (may be empty). An end at or before the start ends the next day
(a night shift). Every bad line is reported with its number; nothing is written unless all lines are good.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable

from sqlalchemy import select

from control.domain.workforce.schedule import Shift
from records.workforce_models import AgentShift

COLUMNS = ("agent", "date", "start", "end", "breaks")


class ShiftErrors(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _at(day: date, hhmm: str, tz) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm.strip()), tz)


def build(agent_id: str, day: date, start: str, end: str, breaks: str, tz) -> Shift:
    s = _at(day, start, tz)
    e = _at(day, end, tz)
    if e <= s:
        e += timedelta(days=1)
    spans = []
    for item in (b.strip() for b in (breaks or "").split(";")):
        if not item:
            continue
        a, _, b = item.partition("-")
        ba, bb = _at(day, a, tz), _at(day, b, tz)
        ba, bb = (ba + timedelta(days=1), bb + timedelta(days=1)) if ba < s else (ba, bb)
        if bb <= ba or ba < s or bb > e:
            raise ValueError(f"break {item} is not inside the shift {start}-{end}")
        spans.append((ba, bb))
    return Shift(agent_id.strip(), s, e, tuple(sorted(spans)))


def parse_csv(text: str, tz, agents: set[str] | None = None) -> list[Shift]:
    rows = list(csv.reader(io.StringIO(text)))
    if rows and [c.strip().lower() for c in rows[0][:len(COLUMNS)]] == list(COLUMNS[:len(rows[0])]):
        rows = rows[1:]
        first = 2
    else:
        first = 1
    shifts, errors = [], []
    for n, row in enumerate(rows, start=first):
        if not any(c.strip() for c in row):
            continue
        try:
            agent, day, start, end, *rest = row + [""] * (5 - len(row))
            if agents is not None and agent.strip() not in agents:
                raise ValueError(f"unknown agent {agent.strip()!r}")
            shifts.append(build(agent, date.fromisoformat(day.strip()), start, end, rest[0], tz))
        except ValueError as exc:
            errors.append(f"line {n}: {exc}")
    if errors:
        raise ShiftErrors(errors)
    return shifts


def save(session, shifts: Iterable[Shift], who: str | None) -> int:
    """Insert or replace (same agent and start) each shift, in the caller's transaction."""
    n = 0
    for s in shifts:
        row = session.scalar(select(AgentShift).where(AgentShift.agent_id == s.agent_id,
                                                      AgentShift.start_at == s.start.astimezone(timezone.utc)))
        if row is None:
            row = AgentShift(agent_id=s.agent_id, start_at=s.start.astimezone(timezone.utc))
            session.add(row)
        row.end_at, row.created_by = s.end.astimezone(timezone.utc), who
        row.breaks = [[a.astimezone(timezone.utc).isoformat(), b.astimezone(timezone.utc).isoformat()]
                      for a, b in s.breaks]
        n += 1
    session.flush()
    return n


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def to_shift(row: AgentShift) -> Shift:
    return Shift(row.agent_id, _aware(row.start_at), _aware(row.end_at),
                 tuple((_aware(datetime.fromisoformat(a)), _aware(datetime.fromisoformat(b))) for a, b in row.breaks))


def between(session, start: datetime, end: datetime) -> list[tuple[int, Shift]]:
    """Shifts overlapping [start, end), with their row ids."""
    rows = session.scalars(select(AgentShift).where(AgentShift.start_at < end, AgentShift.end_at > start)
                           .order_by(AgentShift.start_at, AgentShift.agent_id))
    return [(r.id, to_shift(r)) for r in rows]

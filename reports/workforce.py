"""Workforce planning reads (docs/workforce.md): a queue's history per 15-minute interval from the report
rollup (records/rollup_models.py, the ``queue`` dimension), in the console's time zone, as the pure
forecast wants it; and synthetic history written into the rollup (the demo and the browser test)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select

from control.domain.workforce.forecast import SLOTS, DayHistory
from records.rollup_models import CallRollup
from reports.intervals import zone

DIM = "queue"


def history(session, queue: str, end: date, days: int, tz: str) -> dict[date, DayHistory]:
    """``days`` days of history up to and including ``end`` (local dates in ``tz``)."""
    z = zone(tz)
    start = datetime.combine(end - timedelta(days=days - 1), time(), z)
    stop = datetime.combine(end + timedelta(days=1), time(), z)
    rows = session.execute(
        select(CallRollup.bucket, func.sum(CallRollup.offered), func.sum(CallRollup.answered),
               func.sum(CallRollup.handle_s))
        .where(CallRollup.dim == DIM, CallRollup.dim_key == queue, CallRollup.bucket >= start, CallRollup.bucket < stop)
        .group_by(CallRollup.bucket))
    acc: dict[date, list[list[float]]] = defaultdict(lambda: [[0.0] * SLOTS, [0.0] * SLOTS, [0.0] * SLOTS])
    for bucket, offered, answered, handle in rows:
        if bucket.tzinfo is None:
            bucket = bucket.replace(tzinfo=timezone.utc)
        local = bucket.astimezone(z)
        slot = local.hour * 4 + local.minute // 15
        day = acc[local.date()]
        day[0][slot] += offered or 0
        day[1][slot] += answered or 0
        day[2][slot] += handle or 0.0
    out = {}
    for i in range(days):      # a day without a row had no calls: zeros, not a gap
        d = end - timedelta(days=i)
        o, a, h = acc.get(d, [[0.0] * SLOTS, [0.0] * SLOTS, [0.0] * SLOTS])
        out[d] = DayHistory(o, a, h)
    return out


def write_history(session, queue: str, days: dict[date, DayHistory], tz: str, sl_s: float = 20.0) -> int:
    """Synthetic history into the rollup (only intervals with calls); returns the rows written."""
    z, n = zone(tz), 0
    for day, h in days.items():
        for slot in range(SLOTS):
            if not h.offered[slot]:
                continue
            bucket = datetime.combine(day, time(slot // 4, (slot % 4) * 15), z).astimezone(timezone.utc)
            session.merge(CallRollup(dim=DIM, bucket=bucket, dim_key=queue, queue=queue, sl_s=sl_s, short_s=5.0,
                                     offered=int(h.offered[slot]), answered=int(h.answered[slot]), abandoned=0,
                                     short_abandoned=0, within_sl=int(h.answered[slot]), wait_answered_s=0.0,
                                     handle_s=float(h.handle_s[slot]), max_wait_s=0.0, transferred=0, repeats=0,
                                     csat_sum=0, csat_count=0))
            n += 1
    return n

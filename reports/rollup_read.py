"""The call report from the 15-minute rollup, plus the raw rows the rollup does not hold yet.

Whole 15-minute UTC buckets inside [start, end) come from ``call_rollup_15m`` (summed into the
asked interval in the business time zone); the calls not rolled up yet (``calls.rolled_up`` false:
not finalised, or before the first rebuild) and the calls in a partial bucket at either end are
read raw and added. ``rollup_report`` returns None when the rollup cannot answer exactly (the
rollup was counted with other thresholds, a zone offset not a multiple of 15 minutes, or too
many raw calls); the caller then runs the raw query.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import DateTime, bindparam, select, text

from records.models import Call
from records.rollup_models import CallRollup
from records.wrapup_models import CallFacts, CsatResponse
from reports.intervals import bucket_start, zone
from reports.kpis import REPEAT_WINDOW
from reports.rollup import SUMS, Thresholds, add_member, bucket_of, member_values, utc

RAW_LIMIT = 20000      # more raw calls than this: the raw query is faster than Python
CHUNK = 500

PG_SQL = """
SELECT {bucket} AS bucket, r.dim_key, r.queue, r.sl_s, r.short_s,
  SUM(r.offered) AS offered, SUM(r.answered) AS answered, SUM(r.abandoned) AS abandoned,
  SUM(r.short_abandoned) AS short_abandoned, SUM(r.within_sl) AS within_sl,
  SUM(r.wait_answered_s) AS wait_answered_s, SUM(r.handle_s) AS handle_s, MAX(r.max_wait_s) AS max_wait_s,
  SUM(r.transferred) AS transferred, SUM(r.repeats) AS repeats, SUM(r.csat_sum) AS csat_sum,
  SUM(r.csat_count) AS csat_count
FROM call_rollup_15m r
WHERE r.dim = :dim AND r.bucket >= :start AND r.bucket < :end
GROUP BY 1, 2, 3, 4, 5
"""
PG_BUCKET = {
    "15min": "r.bucket AT TIME ZONE :tz",
    **{i: f"date_trunc('{i}', r.bucket AT TIME ZONE :tz)" for i in ("hour", "day", "week", "month")},
}


def ceil15(when: datetime) -> datetime:
    floor = bucket_of(when)
    return floor if floor == when else floor + timedelta(minutes=15)


def zone_fits(tz: str, start: datetime, end: datetime) -> bool:
    """Every UTC offset of the zone in the range is whole quarter-hours (then 15-minute UTC
    buckets nest inside local hours, days, weeks and months)."""
    z, at = zone(tz), start
    while at <= end + timedelta(days=1):
        if int((at.astimezone(z).utcoffset() or timedelta()).total_seconds()) % 900:
            return False
        at += timedelta(hours=12)
    return True


def rollup_report(session, start: datetime, end: datetime, interval: str, by: str, tz: str,
                  th: Thresholds) -> dict | None:
    """{(bucket, key): sums} for calls entered in [start, end), or None (use the raw query)."""
    start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    if not zone_fits(tz, start, end):
        return None
    inner_start, inner_end = ceil15(start), bucket_of(end)
    if inner_start >= inner_end:
        inner_start = inner_end = start
    raw = _raw_calls(session, start, end, inner_start, inner_end)
    if raw is None:
        return None
    acc: dict[tuple, dict] = {}
    if inner_start < inner_end:
        for row in _rollup_rows(session, inner_start, inner_end, interval, by, tz):
            if row["sl_s"] != th.sl_for(row["queue"]) or row["short_s"] != th.short_s:
                return None
            sums = acc.setdefault((row["bucket"], row["dim_key"] or None), {})
            for k in SUMS:
                sums[k] = sums.get(k, 0) + (row[k] or 0)
            sums["max_wait_s"] = max(sums.get("max_wait_s", 0.0), row["max_wait_s"])
    key_of = {"queue": "queue", "agent": "agent", "did": "did"}[by]
    for m in _members(session, raw, th):
        add_member(acc.setdefault((bucket_start(m["entered_at"], interval, tz), m[key_of] or None), {}), m)
    return acc


def _rollup_rows(session, start, end, interval, by, tz):
    if session.get_bind().dialect.name == "postgresql":
        # a month by agent groups ~700k rows: hash them in memory; JIT costs more than it saves here
        session.execute(text("SET LOCAL work_mem = '64MB'"))
        session.execute(text("SET LOCAL jit = off"))
        stmt = text(PG_SQL.format(bucket=PG_BUCKET[interval])).bindparams(
            bindparam("start", type_=DateTime(timezone=True)), bindparam("end", type_=DateTime(timezone=True)))
        for row in session.execute(stmt, {"dim": by, "start": start, "end": end, "tz": tz}).mappings():
            yield {**row, "bucket": row["bucket"].replace(tzinfo=zone(tz))}
        return
    R = CallRollup
    query = select(R).where(R.dim == by, R.bucket >= start, R.bucket < end)
    for r in session.scalars(query):
        yield {**{k: getattr(r, k) for k in SUMS}, "max_wait_s": r.max_wait_s, "dim_key": r.dim_key,
               "queue": r.queue, "sl_s": r.sl_s, "short_s": r.short_s,
               "bucket": bucket_start(utc(r.bucket), interval, tz)}


def _raw_calls(session, start, end, inner_start, inner_end) -> list | None:
    queued = Call.queue.is_not(None)
    parts = [select(Call).where(queued, Call.entered_at >= start, Call.entered_at < inner_start),
             select(Call).where(queued, Call.entered_at >= inner_end, Call.entered_at < end)]
    if inner_start < inner_end:
        parts.append(select(Call).where(Call.rolled_up == False, Call.entered_at >= inner_start,  # noqa: E712
                                        Call.entered_at < inner_end, queued))
    calls: dict[str, Call] = {}
    for query in parts:
        for call in session.scalars(query.limit(RAW_LIMIT + 1)):
            calls[call.call_id] = call
        if len(calls) > RAW_LIMIT:
            return None
    return list(calls.values())


def _members(session, calls, th: Thresholds) -> list[dict]:
    ids = [c.call_id for c in calls]
    facts: dict[str, CallFacts] = {}
    csat: dict[str, int] = {}
    earlier: dict[str, list[tuple[datetime, str]]] = {}
    for i in range(0, len(ids), CHUNK):
        part = ids[i:i + CHUNK]
        facts.update({f.call_id: f for f in session.scalars(select(CallFacts).where(CallFacts.call_id.in_(part)))})
        csat.update(session.execute(select(CsatResponse.call_id, CsatResponse.score)
                                    .where(CsatResponse.call_id.in_(part))).all())
    by_caller: dict[str, list] = {}
    for c in calls:
        if c.caller:
            by_caller.setdefault(c.caller, []).append(utc(c.entered_at))
    callers = sorted(by_caller)
    for i in range(0, len(callers), CHUNK):
        part = callers[i:i + CHUNK]
        lo = min(min(by_caller[c]) for c in part) - REPEAT_WINDOW
        hi = max(max(by_caller[c]) for c in part)
        rows = session.execute(select(Call.caller, Call.entered_at, Call.call_id).where(
            Call.caller.in_(part), Call.entered_at >= lo, Call.entered_at <= hi)).all()
        for caller, at, cid in rows:
            earlier.setdefault(caller, []).append((utc(at), cid))
    out = []
    for c in calls:
        at = utc(c.entered_at)
        repeat = any(at - REPEAT_WINDOW <= p_at and (p_at, p_id) < (at, c.call_id)
                     for p_at, p_id in earlier.get(c.caller, ())) if c.caller else False
        f = facts.get(c.call_id)
        out.append(member_values(c, getattr(f, "hold_s", 0.0), getattr(f, "wrap_s", 0.0),
                                 getattr(f, "transferred", False), csat.get(c.call_id), repeat, th))
    return out

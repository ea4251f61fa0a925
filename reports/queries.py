"""The call KPI report, same columns and definitions as reports.kpis.call_kpis: ``call_report``
reads the 15-minute rollup (reports/rollup_read.py); ``raw_report`` computes it in the database
from the raw records (GROUP BY a truncated time).

PostgreSQL buckets with ``date_trunc`` / ``date_bin`` in the business time zone. SQLite has no
time zones, so it groups in SQL for UTC and falls back to the pure functions for other zones.
Repeat calls look back 24 h before ``start`` (LAG over the caller's calls).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Mapping

from sqlalchemy import DateTime, bindparam, select, text

from reports.intervals import INTERVALS, zone
from reports.kpis import BY, REPEAT_WINDOW, call_kpis, rows_from_records

PG_BUCKET = {
    "15min": "date_bin('15 minutes', b.entered_at AT TIME ZONE :tz, TIMESTAMP '2001-01-01')",
    **{i: f"date_trunc('{i}', b.entered_at AT TIME ZONE :tz)"
       for i in ("hour", "day", "week", "month")},
}
# "\\:" keeps SQLAlchemy's text() from reading ":00" as a bind parameter.
SQLITE_BUCKET = {
    "15min": "strftime('%Y-%m-%d %H:', b.entered_at) || "
             "printf('%02d', (CAST(strftime('%M', b.entered_at) AS INTEGER) / 15) * 15) || '\\:00'",
    "hour": "strftime('%Y-%m-%d %H\\:00\\:00', b.entered_at)",
    "day": "strftime('%Y-%m-%d 00\\:00\\:00', b.entered_at)",
    "week": "date(b.entered_at, '-' || ((CAST(strftime('%w', b.entered_at) AS INTEGER) + 6) % 7) || ' days')"
            " || ' 00\\:00\\:00'",
    "month": "strftime('%Y-%m-01 00\\:00\\:00', b.entered_at)",
}
REPEAT = {
    "postgresql": "b.entered_at - b.prev_at <= interval '24 hours'",
    "sqlite": "(julianday(b.entered_at) - julianday(b.prev_at)) * 86400.0 <= 86400.0",
}

SQL = """
WITH b AS (
  SELECT c.call_id, c.entered_at, c.queue, c.{key}{collate} AS key, c.answered_at, c.outcome,
         COALESCE(c.wait_s, 0) AS wait_s, COALESCE(c.talk_s, 0) AS talk_s,
         CASE WHEN c.caller IS NOT NULL THEN
           LAG(c.entered_at) OVER (PARTITION BY c.caller{collate} ORDER BY c.entered_at, c.call_id{collate})
         END AS prev_at
  FROM calls c
  WHERE c.entered_at >= :lookback AND c.entered_at < :end
)
SELECT {bucket} AS bucket, b.key AS key,
  COUNT(*) AS offered,
  COUNT(b.answered_at) AS answered,
  SUM(CASE WHEN b.answered_at IS NULL AND b.outcome = 'abandoned' AND b.wait_s >= :short THEN 1 ELSE 0 END)
    AS abandoned,
  SUM(CASE WHEN b.answered_at IS NULL AND b.outcome = 'abandoned' AND b.wait_s < :short THEN 1 ELSE 0 END)
    AS short_abandoned,
  SUM(CASE WHEN b.answered_at IS NOT NULL AND b.wait_s <= {sl} THEN 1 ELSE 0 END) AS within_sl,
  AVG(CASE WHEN b.answered_at IS NOT NULL THEN b.wait_s END) AS asa_s,
  AVG(CASE WHEN b.answered_at IS NOT NULL THEN b.talk_s + COALESCE(f.hold_s, 0) + COALESCE(f.wrap_s, 0) END)
    AS aht_s,
  MAX(b.wait_s) AS longest_wait_s,
  SUM(CASE WHEN b.answered_at IS NOT NULL AND (f.transferred OR b.outcome = 'transferred') THEN 1 ELSE 0 END)
    AS transferred,
  SUM(CASE WHEN b.prev_at IS NOT NULL AND {repeat} THEN 1 ELSE 0 END) AS repeats,
  AVG(r.score) AS csat_avg, COUNT(r.score) AS csat_count
FROM b LEFT JOIN call_facts f ON f.call_id = b.call_id LEFT JOIN csat_responses r ON r.call_id = b.call_id
WHERE b.entered_at >= :start AND b.queue IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2
"""


def _ratio(num, den):
    return round(num / den, 4) if den else None


def _round(value, digits=3):
    return round(float(value), digits) if value is not None else None


def finish(row: Mapping, tz: str, dialect: str) -> dict:
    bucket = row["bucket"]
    if isinstance(bucket, str):
        bucket = datetime.fromisoformat(bucket)
    bucket = bucket.replace(tzinfo=zone(tz) if dialect == "postgresql" else timezone.utc)
    offered, answered = int(row["offered"]), int(row["answered"])
    abandoned, short = int(row["abandoned"] or 0), int(row["short_abandoned"] or 0)
    qualified = offered - short
    return {
        "bucket": bucket, "key": row["key"], "offered": offered, "answered": answered, "abandoned": abandoned,
        "short_abandoned": short, "other": offered - answered - abandoned - short,
        "answer_rate": _ratio(answered, qualified), "abandon_rate": _ratio(abandoned, qualified),
        "service_level": _ratio(int(row["within_sl"] or 0), qualified),
        "asa_s": _round(row["asa_s"]), "aht_s": _round(row["aht_s"]),
        "longest_wait_s": _round(row["longest_wait_s"]),
        "transfer_rate": _ratio(int(row["transferred"] or 0), answered),
        "repeat_rate": _ratio(int(row["repeats"] or 0), offered),
        "csat_avg": _round(row["csat_avg"]), "csat_count": int(row["csat_count"] or 0),
    }


def build_sql(dialect: str, interval: str, by: str, sl_thresholds: Mapping[str, float]) -> tuple[str, dict]:
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}")
    if by not in BY:
        raise ValueError(f"by must be one of {sorted(BY)}")
    params: dict[str, str | float] = {}
    cases: list[str] = []
    for i, (queue, seconds) in enumerate(sorted(sl_thresholds.items())):
        params[f"slq{i}"], params[f"slt{i}"] = queue, float(seconds)
        cases.append(f"WHEN :slq{i} THEN :slt{i}")
    sl = f"(CASE b.queue {' '.join(cases)} ELSE :sl_default END)" if cases else ":sl_default"
    bucket = (PG_BUCKET if dialect == "postgresql" else SQLITE_BUCKET)[interval]
    # byte-order comparison: sorting 1M callers under a linguistic collation costs seconds
    collate = ' COLLATE "C"' if dialect == "postgresql" else ""
    return SQL.format(key=BY[by], bucket=bucket, sl=sl, repeat=REPEAT[dialect], collate=collate), params


def call_report(sessions, start: datetime, end: datetime, interval: str = "day", by: str = "queue",
                tz: str = "UTC", sl_thresholds: Mapping[str, float] | None = None, default_sl_s: float = 20.0,
                short_abandon_s: float = 5.0, work_mem_mb: int = 256) -> list[dict]:
    """KPI rows for calls entered in [start, end) (aware datetimes), per interval and queue/agent/DID.

    From the 15-minute rollup plus the raw calls it does not hold yet (reports/rollup_read.py);
    from the raw records alone when the rollup cannot answer exactly (``raw_report``).
    """
    from reports.rollup import Thresholds
    from reports.rollup_read import rollup_report

    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}")
    if by not in BY:
        raise ValueError(f"by must be one of {sorted(BY)}")
    th = Thresholds(dict(sl_thresholds or {}), float(default_sl_s), float(short_abandon_s))
    with sessions() as session:
        sums = rollup_report(session, start, end, interval, by, tz, th)
    if sums is None:
        return raw_report(sessions, start, end, interval, by, tz, sl_thresholds, default_sl_s, short_abandon_s,
                          work_mem_mb)
    rows = (finish_sums(bucket, key, s) for (bucket, key), s in sums.items() if s.get("offered"))
    return sorted(rows, key=lambda r: (r["bucket"], r["key"] or ""))


def finish_sums(bucket, key, s: Mapping) -> dict:
    """A report row from summed rollup columns (reports/rollup.py SUMS)."""
    offered, answered = int(s["offered"]), int(s["answered"])
    abandoned, short = int(s["abandoned"]), int(s["short_abandoned"])
    qualified = offered - short
    mean = (lambda total, n: round(float(total) / n, 3) if n else None)
    return {
        "bucket": bucket, "key": key, "offered": offered, "answered": answered, "abandoned": abandoned,
        "short_abandoned": short, "other": offered - answered - abandoned - short,
        "answer_rate": _ratio(answered, qualified), "abandon_rate": _ratio(abandoned, qualified),
        "service_level": _ratio(int(s["within_sl"]), qualified),
        "asa_s": mean(s["wait_answered_s"], answered), "aht_s": mean(s["handle_s"], answered),
        "longest_wait_s": _round(s["max_wait_s"]),
        "transfer_rate": _ratio(int(s["transferred"]), answered), "repeat_rate": _ratio(int(s["repeats"]), offered),
        "csat_avg": mean(s["csat_sum"], int(s["csat_count"])), "csat_count": int(s["csat_count"]),
    }


def raw_report(sessions, start: datetime, end: datetime, interval: str = "day", by: str = "queue",
               tz: str = "UTC", sl_thresholds: Mapping[str, float] | None = None, default_sl_s: float = 20.0,
               short_abandon_s: float = 5.0, work_mem_mb: int = 256) -> list[dict]:
    """The report from the raw records alone (GROUP BY over calls, repeat calls by LAG)."""
    thresholds = dict(sl_thresholds or {})
    with sessions() as session:
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite" and zone(tz) is not timezone.utc:
            return _in_python(session, start, end, interval, by, tz, thresholds, default_sl_s, short_abandon_s)
        sql, params = build_sql(dialect, interval, by, thresholds)
        stmt = text(sql).bindparams(*(bindparam(n, type_=DateTime(timezone=True)) for n in ("lookback", "start", "end")))
        utc = timezone.utc
        params.update(start=start.astimezone(utc), end=end.astimezone(utc),
                      lookback=(start - REPEAT_WINDOW).astimezone(utc), short=float(short_abandon_s),
                      sl_default=float(default_sl_s))
        if dialect == "postgresql":
            params["tz"] = tz
            # The repeat-call LAG sorts every call by caller; with the default 4 MB it spills to disk.
            session.execute(text(f"SET LOCAL work_mem = '{int(work_mem_mb)}MB'"))
        rows = session.execute(stmt, params).mappings().all()
    # NULL keys sort last on PostgreSQL and first on SQLite; use the pure functions' order
    return sorted((finish(r, tz, dialect) for r in rows), key=lambda r: (r["bucket"], r["key"] or ""))


def _in_python(session, start, end, interval, by, tz, thresholds, default_sl_s, short_abandon_s) -> list[dict]:
    from records.models import Call
    from records.wrapup_models import CallFacts, CsatResponse

    lookback = start - REPEAT_WINDOW
    calls = session.scalars(select(Call).where(Call.entered_at >= lookback, Call.entered_at < end)).all()
    ids = [c.call_id for c in calls]
    facts = {f.call_id: f for f in session.scalars(select(CallFacts).where(CallFacts.call_id.in_(ids)))}
    csat = {r.call_id: r.score for r in session.scalars(select(CsatResponse).where(CsatResponse.call_id.in_(ids)))}
    rows = rows_from_records(calls, facts, csat)
    for r in rows:   # SQLite hands back naive UTC datetimes
        r.entered_at = _utc(r.entered_at)
        r.answered_at = _utc(r.answered_at)
    return call_kpis(rows, interval, by, tz, start, end, thresholds, default_sl_s, short_abandon_s)


def _utc(value):
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value

"""``hotline bench reports``: time the day/queue KPI report over N call records on PostgreSQL.

A scratch database is created on the server (HOTLINE_BENCH_PG_URL, default the local
postgres), migrated, filled with INSERT ... SELECT generate_series (plus call facts for half
the answered calls and CSAT for a tenth), rolled up (`hotline db rollup --rebuild`) but for the
last half hour (left raw, as calls whose finalize job has not run), analysed, timed, compared
with the raw query, and dropped.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
START = datetime(2026, 1, 1, tzinfo=timezone.utc)
TAIL = timedelta(minutes=30)

FILL_CALLS = """
INSERT INTO calls (call_id, caller, did, queue, agent_id, entered_at, answered_at, ended_at, wait_s, talk_s,
                   outcome, ivr_path, offers, explanations)
SELECT 'bench-' || g, '+1415' || lpad((hashint % 250000)::text, 7, '0'), '+1800555' || lpad((g % 20)::text, 4, '0'),
       CASE WHEN g % 50 = 0 THEN NULL ELSE 'q' || (g % 10) END,
       CASE WHEN r < 0.8 THEN 'agent' || (g % 300) END,
       at, CASE WHEN r < 0.8 THEN at + wait * interval '1 second' END,
       at + (wait + talk) * interval '1 second', wait, CASE WHEN r < 0.8 THEN talk ELSE 0 END,
       CASE WHEN r < 0.8 THEN 'answered' WHEN r < 0.95 THEN 'abandoned' ELSE 'voicemail' END,
       '[]', '[]', '[]'
FROM (SELECT g, random() AS r, (random() * 180)::numeric(8,3)::float AS wait,
             (30 + random() * 600)::numeric(8,3)::float AS talk, (g::bigint * 7919) % 1000003 AS hashint,
             :start + (g::float / :rows) * :span_s * interval '1 second' AS at
      FROM generate_series(1, :rows) AS g) s
"""
FILL_FACTS = """
INSERT INTO call_facts (call_id, hold_s, wrap_s, transferred, follow_up)
SELECT call_id, (random() * 60)::int, (random() * 30)::int, random() < 0.05, false
FROM calls WHERE answered_at IS NOT NULL AND random() < 0.5
"""
FILL_CSAT = """
INSERT INTO csat_responses (call_id, score, source, at)
SELECT call_id, 1 + (random() * 4)::int, 'sms', ended_at FROM calls WHERE answered_at IS NOT NULL AND random() < 0.1
"""


def scratch_url(server: str, name: str) -> str:
    return f"{server.rsplit('/', 1)[0]}/{name}"


def run(server: str, rows: int, days: int, repeats: int) -> dict:
    import psycopg2
    from psycopg2 import sql
    from sqlalchemy import text

    from records.db import make_engine
    from records.migrate import ensure_schema
    from reports.queries import call_report, raw_report
    from reports.rollup import Thresholds
    from reports.rollup_rebuild import rebuild
    from sqlalchemy.orm import sessionmaker

    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(server)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = scratch_url(server, name)
    engine = None
    try:
        ensure_schema(url)
        engine = make_engine(url)
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(text("SELECT setseed(0.42)"))
            conn.execute(text(FILL_CALLS), {"start": START, "rows": rows, "span_s": days * 86400})
            conn.execute(text(FILL_FACTS))
            conn.execute(text(FILL_CSAT))
        vacuum(engine)
        fill_s = time.perf_counter() - t0
        sessions = sessionmaker(bind=engine)
        end = START + timedelta(days=days)
        t = time.perf_counter()
        rebuild(sessions, None, Thresholds())             # `hotline db rollup --rebuild`
        rollup_s = time.perf_counter() - t
        unroll_tail(sessions, end - TAIL)                 # the last half hour: not finalised yet, read raw
        vacuum(engine)
        timings, out = best_of(repeats, lambda: call_report(sessions, START, end, "day", "queue"))
        mid = START + timedelta(days=days // 2)
        day_timings, one_day = best_of(repeats, lambda: call_report(sessions, mid, mid + timedelta(days=1),
                                                                     "day", "queue"))
        agent_timings, _ = best_of(max(1, repeats // 2),
                                   lambda: call_report(sessions, START, end, "day", "agent"))
        t = time.perf_counter()
        raw = raw_report(sessions, START, end, "day", "queue")
        raw_s = time.perf_counter() - t
        return {"rows": rows, "days": days, "report_rows": len(out), "report_s": round(min(timings), 3),
                "report_median_s": round(statistics.median(timings), 3), "one_day_s": round(min(day_timings), 3),
                "one_day_rows": len(one_day), "agent_month_s": round(min(agent_timings), 3),
                "raw_report_s": round(raw_s, 3), "agrees_with_raw": agrees(out, raw),
                "rollup_build_s": round(rollup_s, 1), "fill_s": round(fill_s, 1), "sample": out[:3]}
    finally:
        if engine is not None:
            engine.dispose()
        with admin.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


def vacuum(engine) -> None:
    from sqlalchemy import text

    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def best_of(repeats: int, report) -> tuple[list[float], list]:
    report()   # warm the cache
    timings, out = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        out = report()
        timings.append(time.perf_counter() - t)
    return timings, out


def unroll_tail(sessions, since) -> None:
    """Take the calls entered from ``since`` out of the rollup, as if their finalize jobs had not run."""
    from sqlalchemy import delete, update

    from records.models import Call
    from records.rollup_models import CallRollup, RollupMember

    with sessions() as session, session.begin():
        session.execute(delete(RollupMember).where(RollupMember.entered_at >= since))
        session.execute(delete(CallRollup).where(CallRollup.bucket >= since))
        session.execute(update(Call).where(Call.entered_at >= since).values(rolled_up=False))


def agrees(got: list[dict], want: list[dict]) -> bool:
    """Same rows and counts; means may differ in the last place (float sums in another order)."""
    if [(r["bucket"], r["key"]) for r in got] != [(r["bucket"], r["key"]) for r in want]:
        return False
    for a, b in zip(got, want):
        for k, v in a.items():
            if isinstance(v, float) and b[k] is not None:
                if abs(v - b[k]) > 0.0011:
                    return False
            elif v != b[k]:
                return False
    return True


def print_table(result: dict) -> None:
    print(f"day/queue KPI report over {result['rows']:,} call records ({result['days']} days, PostgreSQL)")
    print(f"  fill + analyse          {result['fill_s']:>8.1f} s")
    print(f"  rollup rebuild          {result['rollup_build_s']:>8.1f} s  (hotline db rollup --rebuild)")
    print(f"  whole span, best        {result['report_s']:>8.3f} s  ({result['report_rows']} report rows)")
    print(f"  whole span, median      {result['report_median_s']:>8.3f} s")
    print(f"  one day, best           {result['one_day_s']:>8.3f} s  ({result['one_day_rows']} report rows)")
    print(f"  whole span by agent     {result['agent_month_s']:>8.3f} s")
    print(f"  raw query, whole span   {result['raw_report_s']:>8.3f} s  "
          f"({'agrees' if result['agrees_with_raw'] else 'DIFFERS'})")
    print(f"  target                  {'met' if result['report_s'] <= 1.0 else 'MISSED'} (<= 1 s)")
    print()
    cols = ("bucket", "key", "offered", "answered", "abandoned", "short_abandoned", "service_level", "asa_s",
            "aht_s", "repeat_rate", "csat_avg")
    print("  " + " | ".join(cols))
    for row in result["sample"]:
        print("  " + " | ".join(str(row[c].date() if c == "bucket" else row[c]) for c in cols))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline bench reports", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true", help='print {"rows", "report_s", ...}')
    args = parser.parse_args(argv)
    server = os.environ.get("HOTLINE_BENCH_PG_URL", DEFAULT_SERVER)
    result = run(server, args.rows, args.days, args.repeats)
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "sample"}))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The 15-minute rollup gives the same report as the raw records, on PostgreSQL and SQLite.

Random calls (seeded) are written, finalised out of order (some not at all: the raw tail), get
late wrap-up times and CSAT scores, and are finalised again; the report from the rollup must equal
the pure definitions over the same calls (reports/kpis.call_kpis), for every interval, grouping
and two time zones, and a rebuild from the raw records must give the same rollup rows.
Seconds are multiples of 1/8 s so float sums are exact in any order.
"""
from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select

from records.db import session_factory
from records.migrate import ensure_schema
from records.models import AuditLog, Call
from records.rollup_models import CallRollup, RollupMember
from records.wrapup_models import CallFacts, CsatResponse
from reports.kpis import CallRow, call_kpis
from reports.queries import call_report
from reports.rollup import Thresholds
from reports.rollup_rebuild import rebuild
from reports.rollup_read import rollup_report
from tests.report_rows import write

pytestmark = pytest.mark.integration

T0 = datetime(2024, 5, 6, tzinfo=timezone.utc)      # a Monday; no other test writes calls in 2024
SPAN = timedelta(days=3)


def random_calls(seed: int, tag: str, n: int = 240) -> list[CallRow]:
    rng = random.Random(seed)
    callers = [f"{tag}-c{i}" for i in range(n // 6)]
    rows = []
    for i in range(n):
        at = T0 + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        if rows and rng.random() < 0.05:
            at = rows[-1].entered_at          # same instant: call_id breaks the repeat tie
        queue = None if rng.random() < 0.08 else f"{tag}-q{rng.randrange(3)}"
        wait = rng.choice([0.0, 5.0, 20.0, 30.0]) if rng.random() < 0.2 else rng.randrange(0, 1600) / 8
        kind = rng.random()
        answered = queue is not None and kind < 0.65
        outcome = ("transferred" if rng.random() < 0.1 else "answered") if answered else \
            ("abandoned" if kind < 0.9 else "voicemail") if queue else "self_service"
        rows.append(CallRow(
            f"{tag}-{i:04d}", at, queue, f"{tag}-a{rng.randrange(5)}" if answered else None,
            rng.choice([f"{tag}-d1", f"{tag}-d2", None]), rng.choice(callers) if rng.random() < 0.95 else None,
            at + timedelta(seconds=wait) if answered else None, outcome, wait,
            rng.randrange(80, 4000) / 8 if answered else 0.0, rng.randrange(0, 120) / 4 if answered else 0.0,
            rng.randrange(0, 120) / 4 if answered else 0.0, answered and rng.random() < 0.1,
            rng.randint(1, 5) if answered and rng.random() < 0.3 else None))
    for r in rows:   # as reports.kpis.rows_from_records reads the records
        r.transferred = r.transferred or r.outcome == "transferred"
    return rows


def rollup_rows(sessions, tag: str) -> set[tuple]:
    with sessions() as s:
        rows = s.scalars(select(CallRollup).where(CallRollup.queue.like(f"{tag}-%"))).all()
        return {(r.dim, r.bucket.replace(tzinfo=None), r.dim_key, r.queue, r.sl_s, r.short_s, r.offered,
                 r.answered, r.abandoned, r.short_abandoned, r.within_sl, r.wait_answered_s, r.handle_s,
                 r.max_wait_s, r.transferred, r.repeats, r.csat_sum, r.csat_count) for r in rows}


ALL_INTERVALS = ("15min", "hour", "day", "week", "month")


def assert_reports_match(sessions, rows, th: Thresholds, uses_rollup: bool = True,
                         intervals: tuple = ALL_INTERVALS) -> None:
    # unaligned ends (06:07, 20:52) exercise the partial 15-minute buckets read raw
    start, end = T0 + timedelta(hours=6, minutes=7), T0 + SPAN - timedelta(hours=3, minutes=8)
    for tz in ("UTC", "America/New_York"):
        for interval in intervals:
            for by in ("queue", "agent", "did"):
                got = call_report(sessions, start, end, interval, by, tz, th.sl, th.default_sl_s, th.short_s)
                want = call_kpis(rows, interval, by, tz, start, end, th.sl, th.default_sl_s, th.short_s)
                assert got == want, (tz, interval, by)
    with sessions() as s:
        assert (rollup_report(s, start, end, "day", "queue", "UTC", th) is not None) == uses_rollup


def cleanup(sessions, tag: str) -> None:
    with sessions() as s, s.begin():
        like = f"{tag}-%"
        for model, column in ((CallRollup, CallRollup.queue), (RollupMember, RollupMember.call_id),
                              (CsatResponse, CsatResponse.call_id), (CallFacts, CallFacts.call_id),
                              (AuditLog, AuditLog.target), (Call, Call.call_id)):
            s.execute(delete(model).where(column.like(like)))


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("db", ["pg", "sqlite"])
def test_rollup_report_equals_the_raw_computation(db, seed, request):
    from reports.rollup import record_handling
    from worker.csat import store_csat
    from worker.wrapup import finalize_call

    sessions = request.getfixturevalue("pg_sessions" if db == "pg" else "sqlite_sessions")
    tag = f"r{uuid.uuid4().hex[:6]}"
    th = Thresholds({f"{tag}-q0": 20.0, f"{tag}-q1": 30.0}, 15.0, 5.0)
    rows = random_calls(seed, tag)
    rng = random.Random(seed)
    order = rows[:]
    rng.shuffle(order)                                          # finalised out of order
    first, late_records = order[: len(order) * 4 // 5], order[len(order) * 4 // 5:]
    try:
        write(sessions, first)
        assert_reports_match(sessions, first, th, intervals=("hour", "day"))   # nothing finalised: all raw
        for r in first[: len(first) * 3 // 4]:
            finalize_call(r.call_id, sessions, thresholds=th)
        assert_reports_match(sessions, first, th)                # rollup + raw tail
        # records that reach the database late: earlier calls turn counted later calls into repeats
        write(sessions, late_records)
        for r in late_records + first[len(first) * 3 // 4:]:
            finalize_call(r.call_id, sessions, thresholds=th)
        late = [r for r in rows if r.answered_at is not None][:20]
        for r in late[:10]:                                     # wrap-up ends after finalize
            r.wrap_s += 12.5
            flag = not r.transferred
            record_handling(sessions, r.call_id, wrap_s=r.wrap_s, transferred=flag)
            r.transferred = flag or r.outcome == "transferred"
        for r in late[10:]:                                     # CSAT arrives after finalize
            if r.csat is None:
                r.csat = 3
                store_csat(r.call_id, 3, sessions=sessions)
        assert_reports_match(sessions, rows, th)
        counted = rollup_rows(sessions, tag)
        with sessions() as s:
            assert s.scalar(select(func.count()).select_from(RollupMember)
                            .where(RollupMember.call_id.like(f"{tag}-%"))) == sum(1 for r in rows if r.queue)
        for r in order[:30]:                                    # reruns change nothing
            finalize_call(r.call_id, sessions, thresholds=th)
        for r in late[10:]:
            store_csat(r.call_id, 1, sessions=sessions)         # the first answer counts
        assert rollup_rows(sessions, tag) == counted
        rebuild(sessions, T0, th)
        assert rollup_rows(sessions, tag) == counted             # the rebuild agrees with the incremental rollup
        assert_reports_match(sessions, rows, th, intervals=("15min", "day"))
        other = Thresholds({f"{tag}-q0": 10.0}, 25.0, 8.0)     # not what the rollup counted with: raw query
        assert_reports_match(sessions, rows, other, uses_rollup=False, intervals=("day",))
    finally:
        cleanup(sessions, tag)


def test_rebuild_from_the_command_line(tmp_path, monkeypatch):
    from control.db_cli import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    ensure_schema(url)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    sessions = session_factory(url)
    rows = random_calls(7, "cli", 60)
    write(sessions, rows)
    assert main(["rollup", "--rebuild", "--since", "2024-05-07"]) == 0
    with sessions() as s:
        members = s.scalars(select(RollupMember)).all()
        assert members and all(m.entered_at.replace(tzinfo=timezone.utc) >= T0 + timedelta(days=1) for m in members)
        assert len(members) == sum(1 for r in rows if r.queue and r.entered_at >= T0 + timedelta(days=1))
    assert main(["rollup", "--rebuild"]) == 0
    th = Thresholds()
    assert_reports_match(sessions, rows, th)
    with pytest.raises(SystemExit):
        main(["rollup"])

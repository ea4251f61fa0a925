"""KPI definitions (docs/kpis.md) against a small fixture computed by hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from reports.agents import StateChange, agent_kpis
from reports.export import to_csv
from reports.intervals import bucket_start, next_bucket
from reports.kpis import COLUMNS, CallRow, call_kpis, repeat_ids

UTC = timezone.utc
DAY = datetime(2026, 3, 2, tzinfo=UTC)          # a Monday
SL = {"support": 20.0, "billing": 30.0}


def at(hh: int, mm: int, day: datetime = DAY) -> datetime:
    return day + timedelta(hours=hh, minutes=mm)


def answered(call_id, when, queue, caller, wait, talk, hold=0.0, wrap=0.0, agent=None, **kw) -> CallRow:
    return CallRow(call_id, when, queue, agent, "+18005550100", caller, when + timedelta(seconds=wait), "answered",
                   wait, talk, hold, wrap, **kw)


def unanswered(call_id, when, queue, caller, wait, outcome) -> CallRow:
    return CallRow(call_id, when, queue, None, "+18005550199", caller, None, outcome, wait)


def fixture() -> list[CallRow]:
    return [
        answered("s1", at(9, 1), "support", "A", 10, 100, 20, 30, agent="alice"),
        answered("s2", at(9, 10), "support", "B", 25, 200, 0, 10, agent="bob", transferred=True, csat=4),
        unanswered("s3", at(9, 20), "support", "C", 3, "abandoned"),          # short abandon
        unanswered("s4", at(9, 40), "support", "A", 40, "abandoned"),         # repeat of s1
        unanswered("s5", at(10, 5), "support", "D", 60, "voicemail"),         # repeat of x1 (22 h 05 m)
        answered("b1", at(9, 30), "billing", "E", 30, 60, agent="alice", csat=2),
        answered("b2", at(11, 0), "billing", "E", 5, 90, 10, 20, agent="alice", csat=5),   # repeat of b1
        CallRow("x1", at(12, 0, DAY - timedelta(days=1)), None, caller="D", outcome="self_service"),
        CallRow("x2", at(8, 0), None, caller="F", outcome="self_service"),
    ]


def day_report(**kw):
    return call_kpis(fixture(), "day", start=DAY, end=DAY + timedelta(days=1), sl_thresholds=SL, **kw)


def test_day_by_queue_matches_the_hand_computed_figures():
    rows = {r["key"]: r for r in day_report()}
    assert sorted(rows) == ["billing", "support"]
    support = rows["support"]
    assert set(support) == set(COLUMNS)
    assert support == {
        "bucket": DAY, "key": "support", "offered": 5, "answered": 2, "abandoned": 1, "short_abandoned": 1,
        "other": 1, "answer_rate": 0.5, "abandon_rate": 0.25, "service_level": 0.25, "asa_s": 17.5,
        "aht_s": 180.0, "longest_wait_s": 60.0, "transfer_rate": 0.5, "repeat_rate": 0.4, "csat_avg": 4.0,
        "csat_count": 1}
    billing = rows["billing"]
    assert (billing["offered"], billing["answered"], billing["answer_rate"], billing["service_level"]) == (2, 2, 1.0, 1.0)
    assert (billing["asa_s"], billing["aht_s"], billing["longest_wait_s"]) == (17.5, 90.0, 30.0)
    assert (billing["transfer_rate"], billing["repeat_rate"], billing["csat_avg"], billing["csat_count"]) == \
        (0.0, 0.5, 3.5, 2)


def test_short_abandon_threshold_moves_calls_between_the_columns():
    support = {r["key"]: r for r in day_report(short_abandon_s=50)}["support"]
    assert (support["abandoned"], support["short_abandoned"]) == (0, 2)
    assert support["answer_rate"] == round(2 / 3, 4) and support["abandon_rate"] == 0.0


def test_by_agent_uses_each_calls_queue_threshold_and_groups_unanswered_under_none():
    rows = {r["key"]: r for r in day_report(by="agent")}
    assert rows["alice"]["offered"] == 3 and rows["alice"]["aht_s"] == 110.0 and rows["alice"]["service_level"] == 1.0
    assert rows["bob"]["service_level"] == 0.0
    assert (rows[None]["offered"], rows[None]["answered"], rows[None]["answer_rate"]) == (3, 0, 0.0)


def test_hour_and_did_buckets():
    hours = [(r["bucket"].hour, r["key"], r["offered"]) for r in
             call_kpis(fixture(), "hour", start=DAY, end=DAY + timedelta(days=1))]
    assert hours == [(9, "billing", 1), (9, "support", 4), (10, "support", 1), (11, "billing", 1)]
    dids = {r["key"]: r["offered"] for r in day_report(by="did")}
    assert dids == {"+18005550100": 4, "+18005550199": 3}


def test_repeat_calls_need_the_same_caller_within_24_hours():
    assert repeat_ids(fixture()) == {"s4", "s5", "b2"}
    late = [CallRow("a", at(9, 0), "q", caller="Z"), CallRow("b", at(9, 1, DAY + timedelta(days=1)), "q", caller="Z")]
    assert repeat_ids(late) == set()


def test_interval_buckets_in_the_business_time_zone():
    t = datetime(2026, 3, 4, 13, 52, 10, tzinfo=UTC)   # a Wednesday
    assert bucket_start(t, "15min") == datetime(2026, 3, 4, 13, 45, tzinfo=UTC)
    assert bucket_start(t, "week") == datetime(2026, 3, 2, tzinfo=UTC)
    assert bucket_start(t, "month") == datetime(2026, 3, 1, tzinfo=UTC)
    ny = ZoneInfo("America/New_York")
    assert bucket_start(t, "day", "America/New_York") == datetime(2026, 3, 4, tzinfo=ny)
    dst_day = bucket_start(datetime(2026, 3, 8, 12, tzinfo=UTC), "day", "America/New_York")
    assert dst_day.utcoffset() == timedelta(hours=-5)
    # the short DST day (aware datetimes of one zone subtract as wall clock, so compare in UTC)
    assert (next_bucket(dst_day, "day").astimezone(UTC) - dst_day.astimezone(UTC)) == timedelta(hours=23)
    assert next_bucket(datetime(2026, 12, 1, tzinfo=UTC), "month") == datetime(2027, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError):
        bucket_start(t, "fortnight")


def agent_log() -> list[StateChange]:
    rows = [("alice", "available", None, 8, 30), ("alice", "on_call", None, 8, 45), ("alice", "wrap_up", None, 9, 5),
            ("alice", "available", None, 9, 10), ("alice", "break", "lunch", 9, 30),
            ("alice", "available", None, 10, 15), ("alice", "logged_out", None, 10, 30),
            ("bob", "break", "training", 7, 0), ("bob", "available", None, 8, 20)]
    return [StateChange(a, s, r, at(h, m)) for a, s, r, h, m in rows]


def test_agent_login_idle_occupancy_and_breaks_per_hour():
    rows = {(r["bucket"].hour, r["agent_id"]): r for r in agent_kpis(agent_log(), at(8, 0), at(12, 0), "hour")}
    a8, a9, a10 = rows[(8, "alice")], rows[(9, "alice")], rows[(10, "alice")]
    assert (a8["login_s"], a8["idle_s"], a8["handling_s"], a8["occupancy"]) == (1800, 900, 900, 0.5)
    assert (a9["login_s"], a9["idle_s"], a9["handling_s"], a9["wrap_up_s"]) == (3600, 1200, 600, 300)
    assert a9["occupancy"] == 0.3333 and a9["breaks"] == {"lunch": 1800}
    assert (a10["login_s"], a10["occupancy"], a10["breaks"]) == (1800, 0.0, {"lunch": 900})
    assert rows[(11, "alice")]["login_s"] == 0 and rows[(11, "alice")]["occupancy"] is None
    b8 = rows[(8, "bob")]   # the break began before the report window: clipped at its start
    assert (b8["break_s"], b8["breaks"], b8["idle_s"], b8["login_s"]) == (1200, {"training": 1200}, 2400, 3600)


def test_agent_time_on_a_dst_day_counts_real_seconds():
    ny = "America/New_York"
    log = [StateChange("carol", "available", None, datetime(2026, 3, 8, 5, tzinfo=UTC))]   # local midnight
    rows = agent_kpis(log, datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 9, 4, tzinfo=UTC), "day", ny)
    assert [(r["bucket"].day, r["idle_s"]) for r in rows] == [(8, 23 * 3600)]
    rows = agent_kpis(log, datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 8, 10, tzinfo=UTC), "hour", ny)
    assert [r["idle_s"] for r in rows] == [3600] * 5   # 00, 01, 03, 04, 05 local: 02:00 never happens


def test_agent_day_totals_and_csv_export():
    rows = agent_kpis(agent_log(), at(8, 0), at(12, 0), "day")
    alice = next(r for r in rows if r["agent_id"] == "alice")
    assert (alice["login_s"], alice["idle_s"], alice["handling_s"], alice["occupancy"]) == (7200, 3000, 1500, 0.3333)
    from reports.agents import COLUMNS as AGENT_COLUMNS
    lines = to_csv(rows, AGENT_COLUMNS).splitlines()
    assert lines[0].endswith("occupancy,break:lunch,break:training")
    assert lines[1].startswith("2026-03-02T00:00:00+00:00,alice,7200.0,3000.0") and lines[1].endswith(",2700.0,0.0")
    csv_calls = to_csv(day_report(), COLUMNS).splitlines()
    assert len(csv_calls) == 3 and csv_calls[2].split(",")[1] == "support"

"""The SQL report (reports/queries.py) agrees with the pure definitions on PostgreSQL and SQLite."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete

from records.models import Call
from records.wrapup_models import AgentStateChange, CallFacts, CsatResponse
from reports.kpis import call_kpis
from reports.queries import call_report
from tests.report_rows import write
from tests.unit.test_kpis import DAY, SL, agent_log, fixture

pytestmark = pytest.mark.integration


def load(sessions, tag: str) -> list:
    rows = fixture()
    for r in rows:   # unique call ids and callers, so several loads in one database do not meet
        r.call_id = f"{tag}-{r.call_id}"
        r.caller = f"{tag}-{r.caller}" if r.caller else None
        r.queue = f"{tag}-{r.queue}" if r.queue else None
    write(sessions, rows)
    return rows


@pytest.mark.parametrize("interval", ["15min", "hour", "day", "week", "month"])
@pytest.mark.parametrize("by", ["queue", "agent", "did"])
@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
@pytest.mark.parametrize("db", ["pg", "sqlite"])
def test_sql_report_equals_the_pure_functions(db, tz, by, interval, request):
    sessions = request.getfixturevalue("pg_sessions" if db == "pg" else "sqlite_sessions")
    tag = f"t{uuid.uuid4().hex[:6]}"
    rows = load(sessions, tag)
    sl = {f"{tag}-{q}": s for q, s in SL.items()}
    start, end = DAY - timedelta(hours=6), DAY + timedelta(days=1)
    try:
        got = call_report(sessions, start, end, interval, by, tz, sl_thresholds=sl)
        want = call_kpis(rows, interval, by, tz, start, end, sl)
        assert got and got == want   # the March 2026 window holds this load only
    finally:
        with sessions() as s, s.begin():
            ids = [r.call_id for r in rows]
            s.execute(delete(CsatResponse).where(CsatResponse.call_id.in_(ids)))
            s.execute(delete(CallFacts).where(CallFacts.call_id.in_(ids)))
            s.execute(delete(Call).where(Call.call_id.in_(ids)))


def test_state_log_round_trip_feeds_the_agent_kpis(pg_sessions):
    from records import state_log
    from reports.agents import StateChange, agent_kpis

    tag = f"ag{uuid.uuid4().hex[:6]}"
    for ch in agent_log():
        state_log.append(pg_sessions, f"{tag}-{ch.agent_id}", ch.state, ch.reason, ch.at)
    with pytest.raises(ValueError):
        state_log.append(pg_sessions, "x", "dancing")
    start, end = DAY + timedelta(hours=8), DAY + timedelta(hours=12)
    read = state_log.read(pg_sessions, start, end)
    changes = [StateChange(r.agent_id, r.state, r.reason, r.at) for r in read if r.agent_id.startswith(tag)]
    assert len(changes) == 9   # bob's 07:00 break is kept as the state he was in at the start
    rows = {r["agent_id"]: r for r in agent_kpis(changes, start, end, "day")}
    assert rows[f"{tag}-alice"]["occupancy"] == 0.3333 and rows[f"{tag}-bob"]["breaks"] == {"training": 1200}
    with pg_sessions() as s, s.begin():
        s.execute(delete(AgentStateChange).where(AgentStateChange.agent_id.like(f"{tag}-%")))

"""Agent state changes made from the console reach agent_state_log (and so the agent report) and
nudge dispatch, as the controller's own changes do: both go through control/handlers/agent_states.py."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401


def report(sqlite_url, agent_id: str, start: datetime, end: datetime) -> dict:
    """The agent report's row, computed as web/reports.py does (records/state_log.read + agent_kpis)."""
    from records import state_log
    from records.db import session_factory
    from reports.agents import StateChange, agent_kpis

    naive = {"start": start.replace(tzinfo=None), "end": end.replace(tzinfo=None)}   # SQLite keeps naive UTC
    changes = [StateChange(r.agent_id, r.state, r.reason, r.at.replace(tzinfo=timezone.utc))
               for r in state_log.read(session_factory(sqlite_url), naive["start"], naive["end"], agent_id)]
    rows = agent_kpis(changes, start, end, "day")
    assert len(rows) == 1, rows
    return rows[0]


def test_a_break_taken_and_ended_from_the_console_is_in_the_agent_report(web_app, client_for, sqlite_url):
    from control.domain.models import Agent

    web_app.config["LIVE_STATE"].put_agent(Agent(id="alice", extension="1001"))
    alice = client_for("alice")
    start = datetime.now(timezone.utc) - timedelta(seconds=1)
    assert alice.post("/api/agent/state", json={"state": "available"}).status_code == 200
    time.sleep(0.2)
    assert alice.post("/api/agent/state", json={"state": "break", "reason": "lunch"}).status_code == 200
    time.sleep(0.3)
    assert alice.post("/api/agent/state", json={"state": "available"}).status_code == 200
    time.sleep(0.2)
    row = report(sqlite_url, "alice", start, datetime.now(timezone.utc))
    assert 0.25 <= row["break_s"] < 1.0 and set(row["breaks"]) == {"lunch"}
    assert 0.35 <= row["idle_s"] < 1.5                  # before and after the break
    assert row["occupancy"] == 0.0 and row["handling_s"] == 0.0
    assert row["login_s"] >= row["idle_s"] + row["break_s"] - 0.01


def test_returning_from_a_break_nudges_dispatch(web_app, client_for):
    from control.domain.models import Agent

    web_app.config["LIVE_STATE"].put_agent(Agent(id="alice", extension="1001"))
    alice = client_for("alice")
    alice.post("/api/agent/state", json={"state": "break", "reason": "lunch"})
    nudges = lambda: [m for c, m in web_app.config["PUBLISHER"].messages if c == "control" and m["type"] == "dispatch"]  # noqa: E731
    assert nudges() == []                                 # a break frees no agent for a call
    assert alice.post("/api/agent/state", json={"state": "available"}).status_code == 200
    assert len(nudges()) == 1


def test_a_state_forced_by_a_supervisor_is_in_the_history(web_app, client_for, sqlite_url):
    from control.domain.models import Agent
    from records import state_log
    from records.db import session_factory

    web_app.config["LIVE_STATE"].put_agent(Agent(id="bob", extension="1002"))
    start = datetime.now(timezone.utc) - timedelta(seconds=1)
    response = client_for("supervisor").post("/api/supervisor/agents/bob/state", json={"state": "break",
                                                                                       "reason": "training"})
    assert response.status_code == 200, response.get_json()
    end = datetime.now(timezone.utc) + timedelta(seconds=1)
    rows = state_log.read(session_factory(sqlite_url), start.replace(tzinfo=None), end.replace(tzinfo=None), "bob")
    assert [(r.state, r.reason) for r in rows] == [("break", "training")]

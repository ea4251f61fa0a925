"""`hotline simulate --report json` on a multi-call scenario: real controller, Redis, PostgreSQL and TCP."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = Path(__file__).parent.parent / "scenarios" / "basic.yaml"


@pytest.fixture(scope="module")
def report(pg_database_url):
    env = {**os.environ, "DATABASE_URL": pg_database_url,
           "REDIS_URL": os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")}
    done = subprocess.run([sys.executable, "-m", "control.cli", "simulate", "--scenario", str(SCENARIO),
                           "--report", "json"], capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_every_call_has_its_expected_outcome(report):
    got = [(c["caller"], c["outcome"], c["agent"], c["offers"]) for c in report["calls"]]
    assert got == [
        ("+14155550100", "answered", "alice", ["bob", "alice"]),   # missed by bob, then alice
        ("+14155550111", "answered", "alice", ["alice"]),
        ("+14155550122", "abandoned", None, []),
        ("anonymous", "self_service", None, []),
        ("+14155550133", "abandoned", None, []),
    ]


def test_paths_and_times_are_reported(report):
    first, billing, gave_up, garbage, silent = report["calls"]
    assert first["ivr_path"] == ["menu menu: pressed 1", "queue support"]
    assert billing["queue"] == "billing" and billing["talk_s"] > 1.0
    assert first["wait_s"] > 3.0          # bob's phone rang out the 3 s ring timeout first
    assert gave_up["queue"] == "support" and gave_up["wait_s"] < 3.0
    assert garbage["ivr_path"][0].startswith("menu menu: invalid input")
    assert silent["ivr_path"] == ["caller hung up during menu menu"]   # not "no input": it hung up


def test_kpis_follow_from_the_calls(report):
    kpis = report["kpis"]
    # the caller who hung up in the menu never reached a queue: not offered, not abandoned
    assert (kpis["calls"], kpis["not_queued"]) == (5, 2)
    assert (kpis["offered"], kpis["answered"], kpis["abandoned"], kpis["other"]) == (3, 2, 1, 0)
    answered = [c for c in report["calls"] if c["outcome"] == "answered"]
    assert kpis["asa_s"] == pytest.approx(sum(c["wait_s"] for c in answered) / 2, abs=0.01)


def test_every_call_record_is_in_the_database(report, pg_database_url):
    from sqlalchemy import select

    from records.db import session_factory
    from records.models import Call

    ids = [c["call_id"] for c in report["calls"]]
    with session_factory(pg_database_url)() as session:
        rows = {r.call_id: r for r in session.scalars(select(Call).where(Call.call_id.in_(ids)))}
    assert set(rows) == set(ids)
    assert rows[ids[0]].offers == ["bob", "alice"] and rows[ids[0]].recording_path.endswith(f"{ids[0]}.wav")


def test_the_record_says_who_hung_up_first(report, pg_database_url):
    """The agent's phone ends the answered calls (talk_time); the others are the callers' hang-ups,
    except the garbage-input caller, whom the flow itself hangs up on."""
    from sqlalchemy import select

    from control.domain.call_record import hung_up_first
    from records.db import session_factory
    from records.models import Call

    ids = [c["call_id"] for c in report["calls"]]
    with session_factory(pg_database_url)() as session:
        rows = {r.call_id: r for r in session.scalars(select(Call).where(Call.call_id.in_(ids)))}
    assert [hung_up_first(rows[i].explanations) for i in ids] == ["agent", "agent", "caller", "system", "caller"]

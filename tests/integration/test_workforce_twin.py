"""The digital twin connected to the plan: `hotline workforce replay` takes a planned interval (the
forecast from a synthetic history in the rollup, the agents Erlang C asks for) through the switch
simulator and a real controller (Redis and TCP), at 30x speed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.integration
REDIS = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def history_db(tmp_path) -> tuple[str, date]:
    from control.config import load_config
    from control.domain.workforce.history import generate
    from records.db import session_factory
    from records.migrate import ensure_schema
    from reports.workforce import write_history

    url = f"sqlite:///{tmp_path / 'history.db'}"
    ensure_schema(url)
    day = date.today() + timedelta(days=1)
    with session_factory(url)() as session:
        write_history(session, "support", generate(day - timedelta(days=56), 55, daily_calls=1200, aht_s=180),
                      load_config(env={}).timezone)
        session.commit()
    return url, day


def _replay(url: str, day: date, *extra: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "control.cli", "workforce", "replay", "--queue", "support",
                           "--day", str(day), "--at", "11:00", "--speed", "30", "--calls", "80", "--json",
                           "--database-url", url, "--redis-url", REDIS, *extra],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_planned_staffing_replayed_on_the_twin(history_db):
    url, day = history_db
    planned = _replay(url, day)
    assert planned["forecast_calls"] > 10 and planned["agents"] == planned["planned_agents"] > 1, planned
    assert planned["calls_replayed"] >= 70, planned
    assert planned["erlang_c_service_level"] >= planned["target"]
    # the twin agrees with the plan's Erlang C within what 70 calls allow
    assert abs(planned["twin_service_level"] - planned["erlang_c_service_level"]) < 0.2, planned

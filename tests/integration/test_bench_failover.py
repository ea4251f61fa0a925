"""A Sentinel failover during simulated traffic (`hotline bench failover`, short): real redis-server and
redis-sentinel processes, two simulated switch nodes and two controllers, the Redis primary SIGKILLed mid-load. 0 calls lost,
0 bridged calls cut, 0 records lost, 0 agents stuck, recovery under 10 s."""
from __future__ import annotations

import json
from argparse import Namespace

import pytest

from control.bench.sentinels import available

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not available(), reason="redis-sentinel is not installed (apt-get install redis-sentinel)")]


def test_a_primary_killed_under_load_loses_nothing():
    from control.bench.failover import run, table

    result = run(Namespace(rate=3.0, before_s=4.0, after_s=6.0, agents=12, talk_s=2.0, controllers=2,
                           nodes=2))
    print(table(result))
    print(json.dumps(result))
    assert {"recovery_s", "calls_lost", "records_lost", "agents_stuck"} <= set(result)
    assert result["nodes"] == 2 and result["calls"] >= 25 and result["calls_during_outage"] >= 1
    assert result["recovery_s"] < 10
    assert (result["calls_lost"], result["bridged_cut"], result["unfinished"]) == (0, 0, 0)
    assert (result["records_lost"], result["agents_stuck"]) == (0, 0)
    assert result["goal_met"]

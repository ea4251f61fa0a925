"""``hotline bench calls --switch freeswitch --peer mod_callcenter`` on a real FreeSWITCH with SIPp, in
short: 20 agents, 2 and 5 calls/s for 5 s each, agents talking 1 s. Skipped by name without
HOTLINE_FREESWITCH_BIN (a freeswitch binary) or without sipp."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from control.bench.sipp import sipp_binary
from control.config import ROOT

BIN = os.environ.get("HOTLINE_FREESWITCH_BIN", "")
pytestmark = [pytest.mark.freeswitch,
              pytest.mark.skipif(not BIN, reason="set HOTLINE_FREESWITCH_BIN to a freeswitch binary"),
              pytest.mark.skipif(not sipp_binary(), reason="SIPp is missing: apt-get install sip-tester")]


def test_a_short_run_reports_both_systems():
    done = subprocess.run([sys.executable, "-m", "control.cli", "bench", "calls", "--switch", "freeswitch",
                           "--freeswitch", BIN, "--agents", "20", "--rates", "2,5", "--step-s", "5", "--talk-s", "1",
                           "--patience-s", "15", "--peer", "mod_callcenter", "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    for name in ("hotline", "mod_callcenter"):
        system = result[name]
        assert system["max_cps_no_failures"] == 5, (name, done.stderr[-2000:])
        assert set(system["dispatch_p99_ms"]) == {"2", "5"}
        assert all(0 < ms < 3000 for ms in system["dispatch_p99_ms"].values()), system["dispatch_p99_ms"]
        assert system["cpu_ms_per_call"] > 0
        assert system["cpu_ms_per_call_by_role"]["freeswitch"] > 0
        for step in system["steps"]:
            assert step["placed"] == step["dispatched"] == round(step["rate"] * 5)
            assert step["stuck_agents"] == 0 and step["max_channels"] >= 2
    assert result["hotline"]["cpu_ms_per_call_by_role"]["controller"] > 0
    assert all(step["missing_records"] == 0 for step in result["hotline"]["steps"])
    assert result["mod_callcenter"]["steps"][0]["missing_records"] is None
    assert set(result["ratio"]) >= {"max_cps_no_failures", "dispatch_p99_ms", "cpu_ms_per_call"}

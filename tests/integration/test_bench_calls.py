"""`hotline bench calls` end to end, small: the simulator, a controller process, real Redis, SQLite."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_bench_calls_sets_up_every_call_and_reports_its_figures(redis_url, redis_client):
    out = subprocess.run([sys.executable, "-m", "control.cli", "bench", "calls", "--rates", "4,8", "--step-s", "3",
                          "--talk-s", "1", "--agents", "30", "--max-p99-ms", "100000", "--redis-url", redis_url],
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.strip().splitlines()
    assert "ctl ms/call" in lines[0]                        # the table, then the whole result as JSON
    result = json.loads(lines[-1])
    assert result["lost"] == 0 and result["unfinished"] == {}
    assert [s["offered_cps"] for s in result["steps"]] == pytest.approx([4, 8], abs=1)
    for step in result["steps"]:
        assert step["sustained_cps"] == pytest.approx(step["offered_cps"], abs=1)
        assert step["cpu_ms_per_call"] > 0 and step["setup_p50_ms"] <= step["setup_p99_ms"]
    assert result["max_cps"] == result["steps"][-1]["sustained_cps"]
    prefix = result["redis_prefix"]   # its own (other benches may run beside it: make test)
    assert prefix.startswith("hotline-bench-")
    assert [k for k in redis_client.scan_iter(match=f"*{prefix}*")] == []   # its keys are dropped

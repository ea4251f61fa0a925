"""`hotline bench pop` end to end, small: a console subprocess, logged-in SSE streams, real Redis."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_bench_pop_reports_latency_and_no_lost_pops(redis_url, redis_client):
    out = subprocess.run([sys.executable, "-m", "control.bench.pop", "--consoles", "20", "--pops", "60",
                          "--rate", "200", "--budget-ms", "3000", "--json", "--redis-url", redis_url],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(result) == {"consoles", "pops", "p50_ms", "p95_ms", "p99_ms", "lost", "budget_ms",
                           "card_first_pct", "ring_held_p50_ms", "ring_held_p99_ms"}
    assert result["consoles"] == 20 and result["pops"] == 60 and result["lost"] == 0
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"] < 1000
    # every console acknowledged its pop through the console's API and the control channel
    assert result["card_first_pct"] >= 95   # with a budget this long, only a lost acknowledgement misses
    assert 0 < result["ring_held_p50_ms"] <= result["ring_held_p99_ms"] <= result["budget_ms"] + 50
    assert list(redis_client.scan_iter(match="bench-pop-*")) == []     # cleaned up

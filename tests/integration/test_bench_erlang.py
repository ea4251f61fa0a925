"""``hotline bench erlang``, short: an M/M/4 day of 150 Poisson calls (exponential talk times, nobody
abandons) through the simulator and a real controller, Redis and PostgreSQL, against Erlang C
(issue 15, "the simulator's phones"). About a minute and a half (150 calls: CI stays under 20 minutes).

What can fail, and the tolerances (set from short runs on the 2-core shared machine, docs/benchmarks.md,
"Erlang C agreement"):
- a call not answered (lost, abandoned, failed);
- the controller and simulator adding more than DISPATCH_MS to the ASA of an ideal first-come-first-served
  queue fed the very same calls (arrival times and talk times): 40 to 100-call runs measured +44 to
  +178 ms at load averages of 20 to 90 on 2 cores (dispatch itself is ~40 ms p50 there); before the
  two fixes of this change, +22.4 s and +22.8 s (agents lost to not-ready, dispatch stalls);
- ASA and service level further from Erlang C than the sampling spread of the calls allows (two
  standard deviations of an ideal M/M/4 queue, computed by the bench; ±10% is out of reach of
  150 calls: 1 sd of ASA is about 85%).
When the machine cannot keep pace (the calls were placed more than 10% slower than asked, seen at a
load average of 66-125 on 2 cores: the run then measures the machine, not the controller), the test
is skipped, saying so.
"""
from __future__ import annotations

import argparse
import json
import os

import pytest

pytestmark = pytest.mark.integration

REDIS_URL = os.environ.get("HOTLINE_TEST_ERLANG_REDIS_URL", "redis://127.0.0.1:6379/11")
AGENTS, AHT_S, RATE, CALLS, WARMUP = 4, 1.0, 2.5, 150, 20
DISPATCH_MS = 250.0


@pytest.fixture(scope="module")
def result(pg_database_url):
    from control.bench import erlang

    args = argparse.Namespace(agents=AGENTS, aht=AHT_S, rate=RATE, calls=CALLS, warmup=WARMUP, sl_s=None, seed=7,
                              media_s=0.05, database_url=pg_database_url, redis_url=REDIS_URL, save_report=None)
    out = erlang.run(args)
    print(json.dumps(out))   # the figures, for -rP and for setting the tolerances below
    if out["measured_rate_per_s"] < RATE * 0.9:
        pytest.skip(f"the machine did not keep pace: calls placed at {out['measured_rate_per_s']}/s, asked "
                    f"{RATE}/s (load average {out['load_avg']}, {out['cpus']} CPUs)")
    return out


def test_every_call_is_answered(result):
    assert result["outcomes"] == {"answered": CALLS}, result["outcomes"]
    assert result["compared"] == CALLS - WARMUP


def test_arrivals_and_talk_times_are_the_ones_asked_for(result):
    assert result["measured_rate_per_s"] == pytest.approx(RATE, rel=0.1)
    assert result["measured_aht_s"] == pytest.approx(AHT_S, rel=0.2)


def test_controller_adds_little_to_an_ideal_queue_of_the_same_calls(result):
    assert result["overhead_vs_ideal"]["asa_ms"] <= DISPATCH_MS, result
    assert result["dispatch_ms"]["free_agent_p50"] <= 100.0, result["dispatch_ms"]


def test_asa_and_service_level_agree_with_erlang_c_within_the_sampling_spread(result):
    from control.bench.erlang import verdict

    for key in ("asa_s", "service_level"):
        band = 2 * result["sampling_sd_pct"][key]
        assert abs(result["diff_pct"][key]) <= band, (key, result)
    # the bench's own verdict, with DISPATCH_MS as the share of Erlang C's ASA the controller may add
    allowed = DISPATCH_MS / 1000.0 / result["erlang_c"]["asa_s"]
    assert verdict(result, max(0.10, allowed)) == [], result

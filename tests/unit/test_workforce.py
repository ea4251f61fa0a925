"""Workforce planning (pure): the forecast's accuracy on the bundled synthetic history, staffing against
published Erlang C values, and a simulated day: at the recommended staffing the service-level target is
met, 20% under it, missed."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from control.domain.workforce.forecast import SLOTS, Interval, accuracy, forecast
from control.domain.workforce.history import generate
from control.domain.workforce.simulate import simulate
from control.domain.workforce.staffing import Target, plan, required

MONDAY = date(2026, 10, 5)
HISTORY = generate(MONDAY, 42, daily_calls=1200, aht_s=240, weekly_growth=0.01, seed=7)


def test_the_forecast_follows_the_seasonal_history_within_the_documented_accuracy():
    acc = accuracy(HISTORY, weeks=4, holdout_days=7)
    assert acc.days == 6                              # Sundays are closed
    assert acc.daily_mape is not None and acc.daily_mape < 0.05
    assert acc.interval_wape is not None and acc.interval_wape < 0.25    # Poisson noise on ~15 calls/interval
    nxt = forecast(HISTORY, MONDAY + timedelta(days=42), 7)
    assert len(nxt) == 7 * SLOTS
    monday, sunday = nxt[:SLOTS], nxt[6 * SLOTS:]
    assert sum(i.offered for i in sunday) == 0
    assert 1200 * 1.15 * 1.01 ** 5 * 0.95 < sum(i.offered for i in monday) < 1200 * 1.15 * 1.01 ** 7 * 1.05
    peak = max(monday, key=lambda i: i.offered)
    assert peak.label.endswith(("10:00", "10:15", "10:30", "10:45"))
    busy = [i for i in monday if i.offered > 5]
    assert all(abs(i.aht_s - 240) < 60 for i in busy)          # each from its interval's few dozen calls
    assert sum(i.aht_s * i.offered for i in busy) / sum(i.offered for i in busy) == pytest.approx(240, abs=10)


def test_staffing_matches_published_erlang_c_values():
    # The classic worked example (Call Centre Helper, "Erlang C formula - made simple"; also
    # tests/unit/test_erlang.py): 100 calls in 30 min, AHT 180 s, 80% in 20 s -> 10 erlangs, 14 agents;
    # with 30% shrinkage, 20 scheduled. Here as one 15-minute interval of 50 calls.
    r = required(Interval(MONDAY, 40, 50, 180), Target(20, 0.8, 0.3))
    assert r.erlangs == pytest.approx(10.0) and r.agents == 14 and r.scheduled == 20
    assert r.service_level == pytest.approx(0.8866, abs=2e-3)
    assert required(Interval(MONDAY, 40, 50, 180), Target(20, 0.8, 0.0)).scheduled == 14
    assert required(Interval(MONDAY, 0, 0, 180), Target()).agents == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_simulated_day_meets_the_target_at_the_recommended_staffing_and_misses_it_20_percent_under(seed):
    day = MONDAY + timedelta(days=42)
    fc = forecast(HISTORY, day, 1)
    staffing = plan(fc, Target(20, 0.8, 0.3))
    offered, aht = [i.offered for i in fc], [i.aht_s for i in fc]
    ok = simulate(offered, aht, [r.agents for r in staffing], 20, seed=seed)
    short = simulate(offered, aht, [int(r.agents * 0.8) for r in staffing], 20, seed=seed)
    assert ok.calls > 1000
    assert ok.service_level >= 0.8 - 0.03        # the stated tolerance: 3 points
    assert short.service_level < 0.8


def test_erlang_a_is_erlang_c_without_abandonment_and_exact_on_a_small_case():
    from control.domain import erlang
    from control.domain.workforce.erlang_a import agents_needed, erlang_a

    for n in (12, 13, 14):
        a = erlang_a(100 / 1800, 180, 1e5, n, 20)        # patience of 28 hours: Erlang C's figures
        assert a.p_wait == pytest.approx(erlang.erlang_c(10, n), abs=2e-3)
        assert a.service_level == pytest.approx(erlang.service_level(10, n, 180, 20), abs=2e-3)
    assert agents_needed(100 / 1800, 180, 1e4, 20) == 14
    # M/M/1+M with arrival, service and patience rates all 1: the number in the system is Poisson(1), so
    # the share abandoning is E[queue] = e^-1 and the share waiting 1 - e^-1
    one = erlang_a(1.0, 1.0, 1.0, 1, 0.5)
    assert one.p_abandon == pytest.approx(0.367879, abs=1e-5) and one.p_wait == pytest.approx(0.632121, abs=1e-5)
    # callers who hang up shorten the queue: fewer agents reach the target than Erlang C says
    assert agents_needed(100 / 1800, 180, 60, 20) < 14


@pytest.mark.parametrize("agents,calls", [(1, 900), (10, 40)])
def test_erlang_a_agrees_with_the_simulation_with_abandonment(agents, calls):
    from control.domain.workforce.erlang_a import erlang_a

    aht, patience = (1.0, 1.0) if agents == 1 else (240.0, 90.0)
    slots = 20 if agents == 1 else 200
    runs = [simulate([calls] * slots, [aht] * slots, [agents] * slots, 0.5 if agents == 1 else 20, seed=s,
                     patience_s=patience) for s in (21, 22)]
    n = sum(r.calls for r in runs)
    expected = erlang_a(calls / 900, aht, patience, agents, 0.5 if agents == 1 else 20)
    assert sum(r.within for r in runs) / n == pytest.approx(expected.service_level, abs=0.02)
    assert sum(r.abandoned for r in runs) / n == pytest.approx(expected.p_abandon, abs=0.02)


def test_staffing_with_patience_uses_erlang_a():
    r = required(Interval(MONDAY, 40, 50, 180), Target(20, 0.8, 0.3, patience_s=60))
    assert r.agents == 12 and r.abandon is not None and 0 < r.abandon < 0.1 and r.service_level >= 0.8

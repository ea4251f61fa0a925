"""Scenario ``arrivals:``: a seeded Poisson process of calls (exponential gaps of mean 1/rate),
checked like the rest of the scenario file."""
from __future__ import annotations

import math
import random
import statistics

import pytest

from control.yamlfile import ConfigErrors
from simulator.scenario import arrival_times, loads_scenario

BASE = """\
name: poisson
defaults: {did: "+18005550100", patience: 900}
agents: [{id: a1, extension: "1001", answer_after: 0, talk_time: {dist: exponential, mean: 3}}]
"""


def test_gaps_are_exponential_with_mean_one_over_rate():
    times = arrival_times(2.0, 20_000, random.Random(7))
    gaps = [b - a for a, b in zip([0.0] + times, times)]
    assert all(g > 0 for g in gaps) and times == sorted(times)
    assert statistics.fmean(gaps) == pytest.approx(0.5, rel=0.03)
    assert statistics.pstdev(gaps) == pytest.approx(0.5, rel=0.03)       # exponential: sd = mean
    # P(gap > 1 s) = exp(-rate * 1) for an exponential gap
    assert sum(g > 1.0 for g in gaps) / len(gaps) == pytest.approx(math.exp(-2.0), rel=0.05)
    # Poisson counts: calls per 10 s window have mean = variance = 20
    windows = [0] * int(times[-1] // 10)
    for t in times:
        if int(t // 10) < len(windows):
            windows[int(t // 10)] += 1
    assert statistics.fmean(windows) == pytest.approx(20, rel=0.05)
    assert statistics.pvariance(windows) == pytest.approx(20, rel=0.2)


def test_arrivals_become_calls_seeded_numbered_and_merged_with_listed_calls():
    text = BASE + ('arrivals: {rate_per_s: 1.25, count: 50, seed: 7, start_s: 10, caller: "+15550000098",'
                   ' dtmf: ["1"]}\ncalls: [{at: 0.5, caller: "+14155550100"}]\n')
    first, again = loads_scenario(text), loads_scenario(text)
    assert len(first.calls) == 51 and first.calls[0].caller == "+14155550100"
    generated = first.calls[1:]
    assert [c.at for c in generated] == [c.at for c in again.calls[1:]]     # the seed draws the same
    assert all(c.at > 10 for c in generated)
    assert [c.caller for c in generated[:3]] == ["+15550000098", "+15550000099", "+15550000100"]
    assert {c.did for c in generated} == {"+18005550100"} and {c.patience for c in generated} == {900}
    assert generated[0].dtmf == ["1"]
    other = loads_scenario(text.replace("seed: 7", "seed: 8"))
    assert [c.at for c in other.calls[1:]] != [c.at for c in generated]


def test_arrivals_alone_are_a_scenario():
    sc = loads_scenario(BASE + "arrivals: {rate_per_s: 1, count: 3}\n")
    assert len(sc.calls) == 3 and sc.calls[0].caller == "+15550000000"


@pytest.mark.parametrize("arrivals, words", [
    ("{rate_per_s: 0, count: 10}", "rate_per_s"),
    ("{rate_per_s: 1, count: 0}", "count"),
    ("{rate_per_s: 1}", "count"),
    ("{rate_per_s: 1, count: 10, seed: x}", "seed"),
    ("{rate_per_s: 1, count: 10, caller: alice}", "caller"),
    ("{rate_per_s: 1, count: 10, gaps: exponential}", "gaps"),
])
def test_wrong_arrivals_name_the_line(arrivals, words):
    with pytest.raises(ConfigErrors) as err:
        loads_scenario(BASE + f"arrivals: {arrivals}\n", "day.yaml")
    assert "day.yaml:4" in str(err.value) and words in str(err.value)


def test_no_calls_and_no_arrivals_is_an_error():
    with pytest.raises(ConfigErrors) as err:
        loads_scenario(BASE, "day.yaml")
    assert "calls: or arrivals:" in str(err.value)


def test_arrivals_need_a_did():
    with pytest.raises(ConfigErrors) as err:
        loads_scenario(BASE.replace('did: "+18005550100", ', "") + "arrivals: {rate_per_s: 1, count: 3}\n", "day.yaml")
    assert "arrivals has no did" in str(err.value)

"""Simulated phones' answer and talk times: fixed seconds or drawn from a distribution (issue 15)."""
from __future__ import annotations

import math
import statistics

import pytest

from control.yamlfile import ConfigErrors
from simulator.durations import Exponential, Fixed, LogNormal
from simulator.scenario import loads_scenario, phone_durations

SCENARIO = """\
name: phones
seed: 7
defaults: {{did: "+18005550100"}}
agents:
  - {{id: a, extension: "1001", answer_after: {answer}, talk_time: {talk}}}
calls: []
"""


def scenario(answer="1.0", talk="4"):
    return loads_scenario(SCENARIO.format(answer=answer, talk=talk), "phones.yaml")


def test_fixed_seconds_stay_fixed():
    answer, talk = phone_durations("a", 1.0, 4, seed=None)
    assert answer == Fixed(1.0) and talk.draw() == 4.0


def test_never_and_no_talk_time():
    assert phone_durations("a", "never", None, seed=1) == (None, None)


def test_exponential_and_lognormal_have_the_written_mean_and_spread():
    s = scenario(answer="{dist: exponential, mean: 0.5}", talk="{dist: lognormal, mean: 4, sd: 2}")
    answer, talk = phone_durations("a", s.agents[0].answer_after, s.agents[0].talk_time, s.seed)
    assert isinstance(answer, Exponential) and isinstance(talk, LogNormal)
    waits = [answer.draw() for _ in range(40_000)]
    talks = [talk.draw() for _ in range(40_000)]
    assert statistics.fmean(waits) == pytest.approx(0.5, rel=0.03)
    assert statistics.pstdev(waits) == pytest.approx(0.5, rel=0.05)          # exponential: sd = mean
    assert statistics.fmean(talks) == pytest.approx(4.0, rel=0.03)
    assert statistics.pstdev(talks) == pytest.approx(2.0, rel=0.08)
    assert min(talks) > 0


def test_a_seed_draws_the_same_durations_every_run_and_per_agent():
    one = phone_durations("a", 1.0, {"dist": "exponential", "mean": 3}, seed=7)[1]
    two = phone_durations("a", 1.0, {"dist": "exponential", "mean": 3}, seed=7)[1]
    other = phone_durations("b", 1.0, {"dist": "exponential", "mean": 3}, seed=7)[1]
    first = [one.draw() for _ in range(5)]
    assert first == [two.draw() for _ in range(5)]
    assert first != [other.draw() for _ in range(5)]
    assert all(math.isfinite(x) and x >= 0 for x in first)


@pytest.mark.parametrize("talk,problem", [
    ("{dist: gamma, mean: 4}", "unknown distribution 'gamma' (exponential or lognormal)"),
    ("{dist: lognormal, mean: 4}", "lognormal needs sd: a number of seconds above 0"),
    ("{dist: exponential, mean: 0}", "exponential needs mean: a number of seconds above 0"),
    ("{dist: exponential, mean: 4, sd: 1}", "exponential takes ['mean'], not ['sd']"),
    ("fast", "'fast' is not a duration"),
    ("-2", "a duration cannot be negative"),
])
def test_a_bad_duration_names_file_line_and_the_syntax(talk, problem):
    with pytest.raises(ConfigErrors) as exc:
        scenario(talk=talk)
    (error,) = exc.value.errors
    assert (error.file, error.line) == ("phones.yaml", 5)
    assert error.message == f"agents[0].talk_time: {problem}"
    assert "{dist: exponential, mean: 4}" in error.fix and "{dist: lognormal, mean: 4, sd: 2}" in error.fix


def test_answer_after_may_still_be_never():
    assert scenario(answer="never").agents[0].answer_after == "never"
    with pytest.raises(ConfigErrors, match='or "never"'):
        scenario(answer="soon")

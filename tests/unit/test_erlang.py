import math

import pytest

from control.domain import erlang


def test_erlang_c_known_value():
    # textbook: 10 erlangs, 12 agents -> P(wait) ~= 0.4494
    assert erlang.erlang_c(10, 12) == pytest.approx(0.4494, abs=1e-3)


def test_service_level_and_asa_known_values():
    # 100 calls / 30 min, AHT 180 s -> 10 erlangs; 12 agents, 20 s target: SL = 1 - 0.4494 * e^(-2*20/180) ~= 0.6402, ASA = 0.4494 * 180 / 2 ~= 40.4 s
    assert erlang.service_level(10, 12, 180, 20) == pytest.approx(0.6402, abs=1e-3)
    assert erlang.asa(10, 12, 180) == pytest.approx(40.44, abs=0.2)


def test_agents_needed_meets_target_with_the_fewest_agents():
    n = erlang.agents_needed(10, 180, 20, 0.8)
    assert n == 14
    assert erlang.service_level(10, n, 180, 20) >= 0.8 > erlang.service_level(10, n - 1, 180, 20)


def test_overloaded_and_idle_edges():
    assert erlang.erlang_c(10, 10) == 1.0 and math.isinf(erlang.asa(10, 9, 180))
    assert erlang.erlang_c(0, 3) == 0.0 and erlang.agents_needed(0, 180, 20) == 0
    assert erlang.offered_load(100 / 1800, 180) == pytest.approx(10)

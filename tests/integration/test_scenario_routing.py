"""Routing through the simulator: every strategy and every overflow rule decides who gets the call.

Each test runs a scenario through the real controller, Redis, PostgreSQL and the switch simulator
over TCP, then checks the call records and which agent phones rang (``rang`` in the report).
"""
from __future__ import annotations

import os

import pytest
import yaml

from control.config import load_config

AGENTS = [
    {"id": "low", "extension": "1101", "skills": {"english": 3, "billing": 9}, "answer_after": 0.2, "talk_time": 0.5},
    {"id": "high", "extension": "1102", "skills": {"english": 9}, "answer_after": 0.2, "talk_time": 0.5},
    {"id": "mid", "extension": "1103", "skills": {"english": 6}, "answer_after": 0.2, "talk_time": 0.5},
]
# equal skills, listed out of alphabetical order: order (top-down) and idle time (agents are made
# available in id order) point at different agents
EQUALS = [{"id": i, "extension": e, "skills": {"english": 5}, "answer_after": 0.2, "talk_time": 0.3, "wrap_up": 0.2}
          for i, e in (("zed", "1201"), ("amy", "1202"), ("bob", "1203"))]
FLOW = {"dids": {"default": "f"},
        "f": {"languages": ["en"], "nodes": {"q": {"type": "queue", "queue": "support"}}}}


def calls_at(*times, patience=20):
    return [{"at": t, "caller": f"+1415555{100 + i:04d}", "did": "+18005550100", "patience": patience}
            for i, t in enumerate(times)]


def scenario(tmp_path, queues, agents=AGENTS, calls=None, flows=FLOW):
    data = {"name": "routing", "queues": queues, "flows": flows, "agents": agents,
            "calls": calls or calls_at(0.1)}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return str(path)


def run(path, pg_database_url):
    from simulator.runner import run as run_scenario

    config = load_config(env={}).replace(
        database_url=pg_database_url,
        redis_url=os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    return run_scenario(path, config, timeout_s=60)


def answered_by(report) -> list[str]:
    assert [c["outcome"] for c in report["calls"]] == ["answered"] * len(report["calls"])
    return [c["agent"] for c in report["calls"]]


# -- strategies ------------------------------------------------------------------------------------
@pytest.mark.parametrize("strategy,first", [
    ("top-down", "low"),            # agent order
    ("most-skilled", "high"),       # highest proficiency
])
def test_strategy_picks_the_agent(tmp_path, pg_database_url, strategy, first):
    queues = {"support": {"strategy": strategy, "requirements": {"english": 3}, "ring_timeout_s": 3}}
    report = run(scenario(tmp_path, queues), pg_database_url)
    call = report["calls"][0]
    assert call["outcome"] == "answered" and call["offers"][0] == first and call["agent"] == first
    assert [r["agent"] for r in call["rang"]] == [first]


@pytest.mark.parametrize("strategy", ["fewest-calls", "least-talk-time"])
def test_load_balancing_strategies_spread_calls(tmp_path, pg_database_url, strategy):
    # all start at zero, so proficiency breaks the tie; after each call the agent who took it has
    # more calls / talk time than the others and goes last
    agents = [dict(a, wrap_up=0.2) for a in AGENTS]
    queues = {"support": {"strategy": strategy, "requirements": {"english": 3}, "ring_timeout_s": 3}}
    report = run(scenario(tmp_path, queues, agents=agents, calls=calls_at(0.1, 2.5, 5.0)), pg_database_url)
    assert answered_by(report) == ["high", "mid", "low"]


def test_longest_idle_agent_goes_first(tmp_path, pg_database_url):
    # amy, then bob became available first (the runner makes agents available in id order); zed is
    # first in agent order. After her call amy is idle for the shortest time.
    queues = {"support": {"strategy": "longest-idle-agent", "requirements": {"english": 3}, "ring_timeout_s": 3}}
    report = run(scenario(tmp_path, queues, agents=EQUALS, calls=calls_at(0.1, 2.5)), pg_database_url)
    assert answered_by(report) == ["amy", "bob"]


def test_round_robin_rotates_through_the_agents(tmp_path, pg_database_url):
    queues = {"support": {"strategy": "round-robin", "requirements": {"english": 3}, "ring_timeout_s": 3}}
    report = run(scenario(tmp_path, queues, agents=EQUALS, calls=calls_at(0.1, 2.5, 5.0)), pg_database_url)
    assert answered_by(report) == ["zed", "amy", "bob"]


def test_random_spreads_calls_over_qualified_agents_only(tmp_path, pg_database_url):
    # "fr" is a member of the queue without the required skill; with ten calls all on one agent has a
    # chance of 3 x (1/3)^10 under a fair draw
    agents = EQUALS + [{"id": "fr", "extension": "1204", "skills": {"french": 9}, "answer_after": 0.2,
                        "talk_time": 0.3}]
    queues = {"support": {"strategy": "random", "requirements": {"english": 3}, "ring_timeout_s": 3}}
    report = run(scenario(tmp_path, queues, agents=agents, calls=calls_at(*[0.1 + 1.2 * i for i in range(10)])),
                 pg_database_url)
    got = answered_by(report)
    assert set(got) <= {"zed", "amy", "bob"} and len(set(got)) > 1


def test_ring_all_rings_every_phone_and_one_agent_gets_the_call(tmp_path, pg_database_url):
    agents = [dict(EQUALS[0], answer_after="never"), dict(EQUALS[1], answer_after=1.0, talk_time=0.5, wrap_up=10),
              dict(EQUALS[2], answer_after="never")]
    queues = {"support": {"strategy": "ring-all", "requirements": {"english": 3}, "ring_timeout_s": 4}}
    # the second call comes while amy is in wrap-up: zed and bob, who lost the first race, ring again
    calls = calls_at(0.1) + calls_at(3.0, patience=2.5)[:1]
    calls[1]["caller"] = "+14155550199"
    report = run(scenario(tmp_path, queues, agents=agents, calls=calls), pg_database_url)
    first, second = report["calls"]
    assert first["outcome"] == "answered" and first["agent"] == "amy"
    rang = first["rang"]
    assert sorted(r["agent"] for r in rang) == ["amy", "bob", "zed"]
    assert [r["agent"] for r in rang if r["answered"]] == ["amy"]
    won_at = next(r["end"] for r in rang if r["answered"])
    for r in rang:
        assert r["start"] < won_at                           # all rang at once, before the answer
        assert r["end"] < r["start"] + 4                     # the losers' legs were dropped, not rung out
    assert sorted(first["offers"]) == ["amy", "bob", "zed"]
    result = [e for e in first["explanations"] if e["kind"] == "ring_group"]
    assert result[-1]["winner"] == "amy" and sorted(r["agent"] for r in result[-1]["rung"]) == ["amy", "bob", "zed"]
    assert second["outcome"] == "abandoned" and {r["agent"] for r in second["rang"]} == {"bob", "zed"}


def test_ring_progressively_adds_a_phone_every_delay(tmp_path, pg_database_url):
    agents = [dict(EQUALS[0], answer_after="never"), dict(EQUALS[1], answer_after=0.5), dict(EQUALS[2])]
    queues = {"support": {"strategy": "ring-progressively", "requirements": {"english": 3}, "ring_timeout_s": 8,
                          "ring_progressively_delay_s": 1.5}}
    report = run(scenario(tmp_path, queues, agents=agents), pg_database_url)
    call = report["calls"][0]
    assert call["outcome"] == "answered" and call["agent"] == "amy"
    first, second = call["rang"]                            # bob's turn never came
    assert (first["agent"], second["agent"]) == ("zed", "amy")
    assert second["start"] - first["start"] >= 1.5 * 0.9    # amy joined after the delay...
    assert first["end"] >= second["start"] and not first["answered"]   # ...while zed's phone still rang
    joined = [e for e in call["explanations"] if e["kind"] == "ring"]
    assert [e["agent"] for e in joined] == ["amy"] and joined[0]["after_s"] >= 1.5


# -- overflow actions -----------------------------------------------------------------------------
def test_overflow_widens_to_another_queues_agents(tmp_path, pg_database_url):
    # support has no agents; after 1 s the call is widened to billing's agents, who still must meet
    # the call's own requirements (mandarin)
    queues = {"support": {"requirements": {"mandarin": 5}, "ring_timeout_s": 3,
                          "overflow": [{"name": "widen", "after_s": 1, "action": "widen", "target": "billing"}]},
              "billing": {"requirements": {"billing": 5}, "ring_timeout_s": 3}}
    agents = [dict(AGENTS[0], skills={"billing": 9, "mandarin": 6}, queues=["billing"])]
    report = run(scenario(tmp_path, queues, agents=agents), pg_database_url)
    call = report["calls"][0]
    assert call["outcome"] == "answered" and call["agent"] == "low"
    assert call["wait_s"] >= 1.0


def test_overflow_moves_the_call_to_another_queue(tmp_path, pg_database_url):
    queues = {"support": {"requirements": {"english": 3}, "ring_timeout_s": 3,
                          "overflow": [{"name": "to-billing", "after_s": 1, "action": "move", "target": "billing"}]},
              "billing": {"requirements": {"billing": 5}, "ring_timeout_s": 3}}
    agents = [dict(AGENTS[0], skills={"billing": 9}, queues=["billing"])]   # nobody in support
    report = run(scenario(tmp_path, queues, agents=agents), pg_database_url)
    call = report["calls"][0]
    assert call["outcome"] == "answered" and call["agent"] == "low" and call["queue"] == "billing"
    fired = [e for e in call["explanations"] if e["kind"] == "overflow"]
    assert [(e["rule"], e["action"], e["target"]) for e in fired] == [("to-billing", "move", "billing")]


def test_overflow_with_no_agents_logged_in_goes_to_voicemail(tmp_path, pg_database_url):
    queues = {"support": {"requirements": {"english": 3},
                          "overflow": [{"name": "nobody", "no_agents": True, "action": "voicemail"}]}}
    report = run(scenario(tmp_path, queues, agents=[]), pg_database_url)
    call = report["calls"][0]
    assert call["outcome"] == "voicemail"
    assert any("voicemail" in step for step in call["ivr_path"])


def test_overflow_offers_a_callback_that_keeps_the_place_in_line(tmp_path, pg_database_url):
    queues = {"support": {"requirements": {"english": 3},
                          "overflow": [{"name": "call-me", "after_s": 1, "action": "callback"}]}}
    agents = [dict(AGENTS[0], skills={"french": 5})]    # logged in, but cannot take the call
    report = run(scenario(tmp_path, queues, agents=agents), pg_database_url)
    call = report["calls"][0]
    assert call["outcome"] == "callback" and call["agent"] is None
    fired = [e for e in call["explanations"] if e["kind"] == "overflow"]
    assert fired[0]["rule"] == "call-me" and fired[0]["conditions"]["wait_s"] >= 1
    (request,) = call["callback"]
    assert request["entered_at"] == call["entered_at"] and request["queue"] == "support"


def test_overflow_hands_the_call_back_to_an_ivr_flow(tmp_path, pg_database_url):
    flows = {"dids": {"default": "f"},
             "f": {"languages": ["en"], "nodes": {"q": {"type": "queue", "queue": "support"}}},
             "after_hours": {"languages": ["en"], "prompts": {"goodbye": {"en": "Goodbye."}}, "nodes": {
                 "bye": {"type": "play", "prompt": "goodbye", "next": "end"},
                 "end": {"type": "hangup"}}}}
    queues = {"support": {"requirements": {"english": 3},
                          "overflow": [{"name": "back", "after_s": 1, "action": "ivr", "target": "after_hours"}]}}
    report = run(scenario(tmp_path, queues, agents=[], flows=flows), pg_database_url)
    call = report["calls"][0]
    assert call["agent"] is None and call["outcome"] == "self_service"
    assert call["ivr_path"] == ["queue support", "queue support: overflow → after_hours", "goto flow after_hours",
                                "hangup"]
    fired = [e for e in call["explanations"] if e["kind"] == "overflow"]
    assert [(e["rule"], e["action"], e["target"]) for e in fired] == [("back", "ivr", "after_hours")]


# -- overflow triggers ----------------------------------------------------------------------------
def test_queue_length_trigger_overflows_the_call_that_makes_the_line_too_long(tmp_path, pg_database_url):
    queues = {"support": {"requirements": {"english": 3},
                          "overflow": [{"name": "too-many", "queue_length": 2, "action": "voicemail"}]}}
    agents = [dict(AGENTS[0], skills={"french": 5})]    # logged in, so no_agents would not fire
    report = run(scenario(tmp_path, queues, agents=agents, calls=calls_at(0.1, 0.6, patience=4)), pg_database_url)
    outcomes = [c["outcome"] for c in report["calls"]]
    assert "voicemail" in outcomes
    fired = [e for c in report["calls"] for e in c["explanations"] if e["kind"] == "overflow"]
    assert fired and all(e["conditions"]["queue_length"] >= 2 for e in fired)


def test_estimated_wait_trigger_overflows_when_agents_are_busy(tmp_path, pg_database_url):
    # the only agent is on a long call; with an assumed handle time of 600 s the second caller's
    # estimated wait is far above 60 s
    queues = {"support": {"requirements": {"english": 3}, "aht_s": 600, "ring_timeout_s": 3,
                          "overflow": [{"name": "long-wait", "estimated_wait_s": 60, "action": "voicemail"}]}}
    agents = [dict(AGENTS[1], talk_time=4)]
    report = run(scenario(tmp_path, queues, agents=agents, calls=calls_at(0.1, 1.0)), pg_database_url)
    first, second = report["calls"]
    assert first["outcome"] == "answered" and second["outcome"] == "voicemail"
    fired = [e for e in second["explanations"] if e["kind"] == "overflow"]
    assert fired[0]["rule"] == "long-wait" and fired[0]["conditions"]["estimated_wait_s"] >= 60

"""Routing through the simulator: strategies and overflow rules decide who gets the call."""
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
FLOW = {"dids": {"default": "f"},
        "f": {"languages": ["en"], "nodes": {"q": {"type": "queue", "queue": "support"}}}}


def scenario(tmp_path, queues, agents=AGENTS, calls=None):
    data = {"name": "routing", "queues": queues, "flows": FLOW, "agents": agents,
            "calls": calls or [{"at": 0.1, "caller": "+14155550100", "did": "+18005550100", "patience": 20}]}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return str(path)


def run(path, pg_database_url):
    from simulator.runner import run as run_scenario

    config = load_config(env={}).replace(
        database_url=pg_database_url,
        redis_url=os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    return run_scenario(path, config, timeout_s=60)


@pytest.mark.parametrize("strategy,first", [
    ("top-down", "low"),            # agent order
    ("most-skilled", "high"),       # highest proficiency
    ("fewest-calls", "high"),       # all at zero calls: ties go to proficiency
    ("least-talk-time", "high"),
])
def test_strategy_picks_the_agent(tmp_path, pg_database_url, strategy, first):
    queues = {"support": {"strategy": strategy, "requirements": {"english": 3}, "ring_timeout_s": 3}}
    report = run(scenario(tmp_path, queues), pg_database_url)
    call = report["calls"][0]
    assert call["outcome"] == "answered" and call["offers"][0] == first and call["agent"] == first


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


def test_overflow_with_no_agents_logged_in_goes_to_voicemail(tmp_path, pg_database_url):
    queues = {"support": {"requirements": {"english": 3},
                          "overflow": [{"name": "nobody", "no_agents": True, "action": "voicemail"}]}}
    report = run(scenario(tmp_path, queues, agents=[]), pg_database_url)
    call = report["calls"][0]
    assert call["outcome"] == "voicemail"
    assert any("voicemail" in step for step in call["ivr_path"])

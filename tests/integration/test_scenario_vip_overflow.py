"""The VIP overflow through the simulator (issue 15, defect 3): a VIP waits in the vip queue while its
only agent is on a call, the widen rule fires, and a free support agent gets the offer. The queues are
the shipped vip and support ones with the rule due after 2 s instead of 60."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from control.config import load_config

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
AFTER_S = 2


def shipped_queues() -> dict:
    queues = {}
    for name in ("billing.yaml", "support.yaml"):
        queues.update(yaml.safe_load((ROOT / "queues" / name).read_text())["queues"])
    vip, support = queues["vip"], queues["support"]
    assert vip["overflow"][0] == {"name": "vip-nobody-free", "after_s": 60, "action": "widen", "target": "support"}
    vip["overflow"][0]["after_s"] = AFTER_S
    for q in (vip, support):
        q.update(announce_every_s=0, wrap_up_s=0)
        q["overflow"] = [r for r in q["overflow"] if r.get("action") in ("widen", "callback")]
    support["overflow"] = []
    return {"vip": vip, "support": support}


def test_a_waiting_vip_is_offered_to_a_free_support_agent(tmp_path, pg_database_url):
    from simulator.runner import run

    flows = {"dids": {"default": "f"}, "f": {"languages": ["en"], "nodes": {"q": {"type": "queue", "queue": "vip"}}}}
    scenario = {
        "name": "vip-overflow", "defaults": {"did": "+18005550100"},
        "skills": ["english", "vip", "mandarin", "spanish"],
        "customers": [{"number": "+14155550500", "name": "Ann Lee", "tier": "vip"}],
        "queues": shipped_queues(), "flows": flows,
        "agents": [
            {"id": "carol", "extension": "1401", "skills": {"english": 8, "vip": 9}, "queues": ["vip"],
             "answer_after": 0.1, "talk_time": 8},
            {"id": "alice", "extension": "1402", "skills": {"english": 9}, "queues": ["support"],
             "answer_after": 0.1, "talk_time": 1},
        ],
        "calls": [
            {"at": 0.1, "caller": "+14155550501", "patience": 20},     # carol takes it and talks 8 s
            {"at": 0.6, "caller": "+14155550500", "patience": 7},      # the VIP: waits, then overflows
        ],
    }
    path = tmp_path / "vip.yaml"
    path.write_text(yaml.safe_dump(scenario))
    config = load_config(env={}).replace(database_url=pg_database_url, recordings_dir=str(tmp_path / "rec"),
                                         redis_url=os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    first, vip = run(str(path), config, timeout_s=60)["calls"]

    assert (first["outcome"], first["agent"]) == ("answered", "carol")
    assert (vip["outcome"], vip["agent"], vip["offers"]) == ("answered", "alice", ["alice"])
    assert vip["wait_s"] >= AFTER_S
    kinds = [e.get("kind") for e in vip["explanations"]]
    assert kinds.index("overflow") < kinds.index("route")
    fired = next(e for e in vip["explanations"] if e.get("kind") == "overflow")
    assert (fired["rule"], fired["action"], fired["target"]) == ("vip-nobody-free", "widen", "support")
    route = next(e for e in vip["explanations"] if e.get("kind") == "route")
    assert route["widened_requirements"] == {"support": {"english": 3}}

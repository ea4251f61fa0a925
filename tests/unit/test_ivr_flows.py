"""The shipped flows in ivr_flows/, driven like the controller drives them, and their graph."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from control.ivr.commands import (Callback, Collect, EnterQueue, Finished, Lookup, Play, QueryQueue, SetChannelVars,
                                  Voicemail)
from control.ivr.graph import flow_graph
from control.ivr.loader import load_flows
from tests.unit.test_ivr_helpers import NY, start

ROOT = Path(__file__).resolve().parents[2]
CALM = {"agents_available": 1, "agents_logged_in": 2, "waiting": 0, "estimated_wait_s": 15.0}


@pytest.fixture(scope="module")
def shipped():
    return load_flows(ROOT / "ivr_flows")


def drive(run, cmd, digits, customers=None, stats=CALM, queue_result=None):
    """Answer each command like a caller pressing ``digits`` would; returns (commands, last command)."""
    digits, seen = list(digits), []
    while not run.done:
        seen.append(cmd)
        if isinstance(cmd, Collect):
            result = digits.pop(0) if digits else ""
        elif isinstance(cmd, Lookup):
            result = (customers or {}).get(cmd.value)
        elif isinstance(cmd, QueryQueue):
            result = stats
        elif isinstance(cmd, EnterQueue):
            result = queue_result or {"left": "answered"}
        else:
            result = None
        cmd = run.resume(result, run.now)
        assert len(seen) < 100
    return seen, cmd


def queued(seen):
    return [c for c in seen if isinstance(c, EnterQueue)]


def test_vip_caller_pressing_billing_goes_to_the_vip_queue_with_priority(shipped):
    run, cmd = start(shipped)
    seen, end = drive(run, cmd, ["1", "2"], customers={"+14155550100": {"id": 1, "tier": "vip", "language": "en"}})
    assert queued(seen) == [EnterQueue(queue="vip", requirements=(), priority=10, language="en")]
    assert SetChannelVars({"hotline_reason": "billing"}) in seen
    assert end == Finished("answered")
    assert run.path == ["menu language: pressed 1 (language en)", "hours_check: open",
                        "lookup caller +14155550100: found (vip)", "menu main_menu: pressed 2", "billing",
                        "route: VIP caller", "queue vip"]


def test_mandarin_caller_goes_to_the_mandarin_queue_with_chinese_prompts(shipped):
    run, cmd = start(shipped, caller="+8613800138000")
    seen, _ = drive(run, cmd, ["2", "2"])
    assert queued(seen)[0].queue == "mandarin" and queued(seen)[0].language == "zh"
    first_collect = next(i for i, c in enumerate(seen) if isinstance(c, Collect))
    plays = [p for c in seen[first_collect + 1:] if isinstance(c, (Play, Collect))
             for p in c.prompts]
    assert len(plays) >= 2 and all(p.language == "zh" for p in plays)   # after the bilingual language menu


def test_garbage_in_main_menu_ends_with_an_agent(shipped):
    run, cmd = start(shipped, caller="anonymous")
    seen, _ = drive(run, cmd, ["1", "*#9", "", "9" * 50])
    assert queued(seen)[0].queue == "support"
    assert "menu main_menu: invalid input '*#9'" in run.path
    assert "menu main_menu: no input" in run.path
    assert "menu main_menu: no valid choice after 3 tries" in run.path


def test_order_status_self_service_reads_the_status_back(shipped):
    customer = {"id": 3, "tier": "standard", "fields": {"order_status": "shipped"},
                "open_tickets": [{"id": 1}, {"id": 2}]}
    run, cmd = start(shipped, caller="+14155550102")
    seen, end = drive(run, cmd, ["1", "3", "1003#", ""], customers={"1003": customer})
    spoken = [p for c in seen if isinstance(c, Play) for p in c.prompts]
    say = [(p.text, p.say_type, p.method) for p in spoken if p.kind == "say"]
    assert ("1003", "NUMBER", "iterated") in say      # account read back digit by digit
    assert ("2", "NUMBER", "pronounced") in say        # open ticket count
    assert any(p.text == "your order has shipped." for p in spoken)
    assert run.path[4:8] == ["call flow order_status", "entered account 1003", "lookup account 1003: found (standard)",
                             "status: shipped"]
    assert run.path[-3:] == ["back from flow order_status", "after_order_status: otherwise", "hangup"]
    assert run.outcome == "self_service" and not queued(seen)


def test_order_status_not_found_then_agent_fallback(shipped):
    run, cmd = start(shipped)
    seen, _ = drive(run, cmd, ["1", "3", "12345#", "2"])
    assert queued(seen)[0].queue == "support"
    assert "lookup account 12345: not found" in run.path
    assert "after_order_status: wants an agent" in run.path


def test_long_support_wait_offers_a_callback(shipped):
    run, cmd = start(shipped, caller="+14155550144")
    busy = {"agents_available": 0, "agents_logged_in": 3, "waiting": 30, "estimated_wait_s": 900.0}
    seen, end = drive(run, cmd, ["1", "0", "1", "1"], stats=busy)
    assert Callback(number="+14155550144", prompt=seen[-1].prompt) == seen[-1]
    assert end == Finished("callback")
    assert "support_check: long wait" in run.path


@pytest.mark.parametrize("when", [datetime(2026, 11, 23, 22, 0, tzinfo=NY),      # Monday night
                                  datetime(2026, 12, 25, 11, 0, tzinfo=NY)])     # Christmas
def test_after_hours_goes_to_voicemail(shipped, when):
    run, cmd = start(shipped, now=when)
    seen, end = drive(run, cmd, ["1", "1"])
    assert any(isinstance(c, Voicemail) and c.box == "support" for c in seen)
    assert end == Finished("voicemail")
    assert run.path[1:3] == ["hours_check: otherwise", "goto flow after_hours"]


def test_graph_of_main_has_every_node_and_labelled_edges(shipped):
    graph = flow_graph(shipped.get("main"))
    ids = {n["id"] for n in graph["nodes"]}
    assert set(shipped.get("main").nodes) <= ids
    assert {"flow:after_hours", "flow:order_status"} <= ids
    assert {"from": "main_menu", "to": "billing", "label": "pressed 2"} in graph["edges"]
    assert {"from": "closed", "to": "flow:after_hours", "label": "goto"} in graph["edges"]
    assert all(e["to"] in ids for e in graph["edges"])
    assert [n["id"] for n in graph["nodes"] if n["start"]] == ["language"]

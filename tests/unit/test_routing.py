import random

import pytest

from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.domain.queue_config import STRATEGIES, QueueConfig, RelaxStep
from control.domain.routing import Router, decide


def agent(id, skills=None, queues=("q",), state=AgentState.AVAILABLE, **kw):
    return Agent(id=id, extension=id, skills=dict(skills or {"english": 5}), queues=list(queues), state=state, **kw)


def call(id, entered=0.0, queue="q", reqs=(), priority=0, tier=None, seq=0, state=CallState.QUEUED, **kw):
    return Call(id=id, caller="+1", did="+2", queue=queue, entered_at=entered, seq=seq or int(entered * 10) + 1,
                requirements=[Requirement(s, m) for s, m in reqs], priority=priority, tier=tier, state=state, **kw)


def queues(**kw):
    return {"q": QueueConfig(name="q", **kw)}


def only(decisions):
    assert len(decisions) == 1
    return decisions[0]


@pytest.mark.parametrize("strategy, field, values, expected", [
    ("longest-idle-agent", "idle_since", [30.0, 10.0, 20.0], "b"),
    ("round-robin", "last_offered_at", [5.0, 9.0, 1.0], "c"),
    ("top-down", "order", [2, 1, 3], "b"),
    ("fewest-calls", "calls_taken", [4, 7, 2], "c"),
    ("least-talk-time", "talk_time_s", [100.0, 50.0, 75.0], "b"),
])
def test_single_agent_strategies(strategy, field, values, expected):
    agents = [agent(n, **{field: v}) for n, v in zip("abc", values)]
    d = only(decide(100.0, [call("c1")], agents, queues(strategy=strategy)))
    assert d.agent_ids == [expected]
    assert d.explanation["strategy"] == strategy
    assert d.explanation["candidates"][0]["agent"] == expected
    assert d.explanation["candidates_total"] == 3


def test_most_skilled_picks_highest_proficiency_in_required_skills():
    agents = [agent("a", {"billing": 5, "english": 9}), agent("b", {"billing": 9, "english": 1}),
              agent("c", {"billing": 7})]
    d = only(decide(10.0, [call("c1", reqs=[("billing", 3)])], agents, queues(strategy="most-skilled")))
    assert d.agent_ids == ["b"]


def test_ties_are_broken_by_proficiency():
    agents = [agent("a", {"english": 4}, idle_since=5.0), agent("b", {"english": 8}, idle_since=5.0)]
    d = only(decide(10.0, [call("c1", reqs=[("english", 1)])], agents, queues()))
    assert d.agent_ids == ["b"]


def test_ring_all_lists_every_candidate():
    agents = [agent(n, order=i) for i, n in enumerate("cab")]
    d = only(decide(10.0, [call("c1")], agents, queues(strategy="ring-all")))
    assert d.agent_ids == ["c", "a", "b"]


def test_ring_progressively_lists_group_in_order():
    agents = [agent(n, order=o) for n, o in zip("abcd", [4, 2, 1, 3])]
    d = only(decide(10.0, [call("c1")], agents, queues(strategy="ring-progressively", ring_group_size=3)))
    assert d.agent_ids == ["c", "b", "d"]


def test_random_strategy_is_reproducible_with_seeded_rng():
    agents = [agent(f"a{i}") for i in range(20)]
    picks = [only(decide(1.0, [call("c1")], agents, queues(strategy="random"), rng=random.Random(seed))).agent_ids[0]
             for seed in range(8)]
    again = [only(decide(1.0, [call("c1")], agents, queues(strategy="random"), rng=random.Random(seed))).agent_ids[0]
             for seed in range(8)]
    assert picks == again
    assert len(set(picks)) > 1


def test_all_strategies_known():
    for s in STRATEGIES:
        assert decide(1.0, [call("c1")], [agent("a")], queues(strategy=s))[0].agent_ids == ["a"]


def test_unqualified_and_unavailable_agents_are_never_chosen():
    agents = [agent("low", {"english": 2}), agent("busy", {"english": 9}, state=AgentState.ON_CALL),
              agent("other", {"english": 9}, queues=("x",)), agent("ok", {"english": 5})]
    d = only(decide(1.0, [call("c1", reqs=[("english", 4)])], agents, queues()))
    assert d.agent_ids == ["ok"]


def test_no_candidate_no_decision():
    assert decide(1.0, [call("c1", reqs=[("mandarin", 1)])], [agent("a")], queues()) == []


def test_each_agent_used_once_and_calls_in_priority_order():
    calls = [call("low", entered=1.0), call("high", entered=5.0, priority=5), call("mid", entered=3.0, priority=2)]
    ds = decide(10.0, calls, [agent("a", idle_since=1.0), agent("b", idle_since=2.0)], queues())
    assert [d.call_id for d in ds] == ["high", "mid"]
    assert [d.agent_ids for d in ds] == [["a"], ["b"]]


def test_fifo_within_priority_uses_entered_at_then_seq():
    calls = [call("c2", entered=2.0, seq=1), call("c1", entered=1.0, seq=9), call("c3", entered=2.0, seq=2)]
    ds = decide(10.0, calls, [agent(f"a{i}") for i in range(3)], queues())
    assert [d.call_id for d in ds] == ["c1", "c2", "c3"]


def test_tier_boost_and_aging():
    q = queues(tier_boost={"vip": 10}, aging_every_s=10)
    # vip entered at 100 has 10 + 0; the old call waited 120 s -> +12, so it goes first
    calls = [call("vip", entered=100.0, tier="vip"), call("old", entered=-20.0)]
    d = only(decide(100.0, calls, [agent("a")], q))
    assert d.call_id == "old"
    assert d.explanation["priority"]["aging"] == 12
    d = only(decide(90.0, calls, [agent("a")], q))  # old waited 110 s -> 11 vs vip 10 + 0 (entered later: wait 0)
    assert d.call_id == "old"
    d = only(decide(100.0, [call("vip", entered=100.0, tier="vip"), call("old", entered=20.0)], [agent("a")], q))
    assert d.call_id == "vip"


def test_vip_goes_to_vip_queue_and_senior_group():
    qs = {"q": QueueConfig(name="q", vip_queue="senior"),
          "senior": QueueConfig(name="senior", vip_agents=["s2"], strategy="top-down")}
    agents = [agent("plain"), agent("s1", queues=("senior",), order=1), agent("s2", queues=("senior",), order=2)]
    ds = decide(1.0, [call("v", tier="vip"), call("n", entered=0.5)], agents, qs)
    by_call = {d.call_id: d for d in ds}
    assert by_call["v"].queue == "senior" and by_call["v"].agent_ids == ["s2"]
    assert "vip senior group" in by_call["v"].explanation["rule"]
    assert by_call["n"].agent_ids == ["plain"]


def test_relax_steps_lower_minimum_then_drop_skill():
    q = queues(requirements={"mandarin": 5}, relax=[RelaxStep(30, max_min_level=3), RelaxStep(60, drop=("mandarin",))])
    weak, none = agent("weak", {"mandarin": 3}), agent("none", {"english": 5})
    c = call("c1", entered=0.0)
    assert decide(10.0, [c], [weak, none], q) == []
    d = only(decide(31.0, [c], [none, weak], q))
    assert d.agent_ids == ["weak"] and d.explanation["relax_stage"] == 1
    d = only(decide(61.0, [c], [none], q))
    assert d.agent_ids == ["none"] and d.explanation["requirements"] == {}


def test_language_skill_is_required():
    q = queues(language_skills={"zh": "mandarin"}, language_min_level=4)
    c = call("c1", language="zh")
    assert decide(1.0, [c], [agent("en"), agent("zh3", {"mandarin": 3})], q) == []
    assert only(decide(1.0, [c], [agent("en"), agent("zh", {"mandarin": 6})], q)).agent_ids == ["zh"]


def test_widened_call_reaches_other_queue_agents():
    qs = {"q": QueueConfig(name="q"), "b": QueueConfig(name="b")}
    c = call("c1", extra_queues=["b"])
    assert only(decide(1.0, [c], [agent("bob", queues=("b",))], qs)).agent_ids == ["bob"]
    assert decide(1.0, [call("c2")], [agent("bob", queues=("b",))], qs) == []


def test_offered_calls_are_skipped():
    assert decide(1.0, [call("c1", state=CallState.OFFERING)], [agent("a")], queues()) == []


def test_offer_order_across_queues():
    qs = {"a": QueueConfig(name="a", priority=1), "b": QueueConfig(name="b", priority=5)}
    calls = [call("ca", queue="a", entered=1.0, priority=3), call("cb", queue="b", entered=2.0)]
    bob = agent("bob", queues=("a", "b"))
    assert only(decide(5.0, calls, [bob], qs)).call_id == "ca"
    assert only(decide(5.0, calls, [bob], qs, offer_order="queue-priority")).call_id == "cb"
    ann = agent("ann", queues=("b", "a"))
    r = Router(qs, offer_order="agent-order")
    r.add_agent(ann)
    for c in calls:
        r.add_call(c)
    assert r.best_call_for("ann", 5.0).call_id == "cb"


def test_router_incremental_best_call_for_agent_and_commit():
    q = queues(requirements={"english": 3})
    r = Router(q)
    for i in range(50):
        r.add_call(call(f"c{i}", entered=float(i), reqs=[("mandarin", 2)] if i % 2 == 0 else []))
    r.add_agent(agent("en", {"english": 5}))
    d = r.best_call_for("en", 100.0)
    assert d.call_id == "c1" and d.explanation["trigger"] == "agent_freed"
    r.commit(d)
    assert "en" not in r.agents and "c1" not in r.calls
    r.add_agent(agent("en", {"english": 5}))
    assert r.best_call_for("en", 100.0).call_id == "c3"
    r.add_agent(agent("zh", {"english": 5, "mandarin": 2}))
    assert r.best_call_for("zh", 100.0).call_id == "c0"
    assert r.best_agent_for("c0", 100.0).agent_ids == ["zh"]


def test_decide_does_not_mutate_inputs():
    a, c = agent("a"), call("c1")
    decide(1.0, [c], [a], queues())
    assert a.state == AgentState.AVAILABLE and c.state == CallState.QUEUED and c.explanations == []

"""Router.best_call_for (indexed buckets) against a plain scan of every waiting call."""
from hypothesis import given, settings, strategies as st

from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.domain.priority import order_key, routing_queue
from control.domain.queue_config import QueueConfig, RelaxStep
from control.domain.router import OFFER_ORDERS, Router
from control.domain.skills import qualifies, serving_requirements

SKILLS = ["english", "mandarin", "billing", "sales", "tech"]
NAMES = ["a", "b", "v"]
RELAX = [[], [RelaxStep(20, max_min_level=1)],
         [RelaxStep(10, drop=("billing",)), RelaxStep(40, max_min_level=2)], [RelaxStep(5, drop=("english",))]]


def reference_best_call(agent: Agent, calls: dict[str, Call], queues: dict[str, QueueConfig], now: float,
                        offer_order: str) -> str | None:
    best = None
    for c in calls.values():
        rq = routing_queue(c, queues)
        # a queue the call was widened to serves it with that queue's own requirements
        needs = serving_requirements(c, queues[rq], queues, now)
        ranks = [i for i, q in enumerate(agent.queues) if q in needs and qualifies(agent, needs[q])]
        if not ranks:
            continue
        key = order_key(c, queues[c.queue], now)
        if offer_order == "queue-priority":
            key = (-queues[rq].priority, *key)
        elif offer_order == "agent-order":
            key = (ranks[0], *key)
        if best is None or key < best[0]:
            best = (key, c.id)
    return best[1] if best else None


queue_st = st.fixed_dictionaries({
    "requirements": st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 4), max_size=1),
    "relax": st.sampled_from(RELAX),
    "aging_every_s": st.sampled_from([0.0, 5.0, 7.5, 30.0]),
    "aging_step": st.integers(1, 3),
    "tier_boost": st.fixed_dictionaries({"vip": st.sampled_from([0, 2, 20]), "gold": st.integers(0, 3)}),
    "priority": st.integers(0, 2),
    "vip_queue": st.sampled_from([None, "v", "v"]),
})

agent_st = st.builds(
    lambda skills, queues: (skills, queues),
    st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=5),
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))

# A small space, so that calls often share a bucket.
call_st = st.fixed_dictionaries({
    "queue": st.sampled_from(NAMES),
    "reqs": st.sampled_from([{}, {}, {"billing": 3}, {"tech": 1, "sales": 4}]),
    "language": st.sampled_from(["en", "zh", "fr"]),
    "priority": st.integers(0, 1),
    "tier": st.sampled_from([None, None, "vip", "gold"]),
    "age": st.one_of(st.none(), st.floats(0.001, 120)),
    "extra": st.sampled_from([[], [], [], ["b"]]),
})

op_st = st.one_of(
    st.tuples(st.just("add"), call_st),
    st.tuples(st.just("remove"), st.integers(0, 10_000)),
    st.tuples(st.just("readd"), st.integers(0, 10_000), st.floats(0.001, 120)),
    st.tuples(st.just("serve"), st.integers(0, 10_000), st.floats(0, 15)),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(queue_st, min_size=3, max_size=3), st.lists(agent_st, min_size=1, max_size=6),
       st.lists(op_st, max_size=60), st.sampled_from(OFFER_ORDERS))
def test_best_call_for_matches_a_full_scan(qspecs, agent_specs, ops, offer_order):
    queues = {n: QueueConfig(name=n, language_skills={"en": "english", "zh": "mandarin"}, **spec)
              for n, spec in zip(NAMES, qspecs)}
    router = Router(queues, offer_order=offer_order)
    agents = [Agent(id=f"ag{i}", extension=str(i), skills=skills, queues=qs, state=AgentState.AVAILABLE)
              for i, (skills, qs) in enumerate(agent_specs)]
    for a in agents:
        router.add_agent(a)
    calls: dict[str, Call] = {}
    now, seq = 200.0, 0
    for op in ops:
        if op[0] == "add":
            spec = op[1]
            seq += 1
            c = Call(id=f"c{seq}", caller="+1", did="+2", queue=spec["queue"], language=spec["language"],
                     requirements=[Requirement(s, m) for s, m in spec["reqs"].items()], priority=spec["priority"],
                     tier=spec["tier"], entered_at=None if spec["age"] is None else now - spec["age"], seq=seq,
                     extra_queues=spec["extra"], state=CallState.QUEUED)
            calls[c.id] = c
            router.add_call(c)
        elif calls and op[0] == "remove":
            c = calls.pop(sorted(calls)[op[1] % len(calls)])
            router.remove_call(c.id)
        elif calls and op[0] == "readd":   # the same call back with another place in line
            c = calls[sorted(calls)[op[1] % len(calls)]]
            c.entered_at = now - op[2]
            router.add_call(c)
        elif op[0] == "serve":
            now += op[2]
            agent = agents[op[1] % len(agents)]
            expected = reference_best_call(agent, calls, queues, now, offer_order)
            d = router.best_call_for(agent.id, now)
            assert (d.call_id if d else None) == expected
            if d is not None:
                assert d.agent_ids == [agent.id]
                router.remove_call(d.call_id)
                del calls[d.call_id]
    for agent in agents:   # and once more for everyone, much later: aging and relax have moved on
        now += 45.0
        expected = reference_best_call(agent, calls, queues, now, offer_order)
        d = router.best_call_for(agent.id, now)
        assert (d.call_id if d else None) == expected


def _call(id, queue, entered, seq, **kw):
    return Call(id=id, caller="+1", did="+2", queue=queue, entered_at=entered, seq=seq, state=CallState.QUEUED, **kw)


def _router(queues, *calls):
    r = Router(queues)
    r.add_agent(Agent(id="x", extension="1", skills={"english": 5}, queues=["v"], state=AgentState.AVAILABLE))
    for c in calls:
        r.add_call(c)
    return r


def test_calls_routed_together_still_age_at_their_home_queues_rate():
    queues = {"slow": QueueConfig(name="slow", vip_queue="v", aging_every_s=60),
              "fast": QueueConfig(name="fast", vip_queue="v", aging_every_s=5, aging_step=3),
              "v": QueueConfig(name="v")}
    old = _call("old", "slow", 60.0, 1, tier="vip")        # 40 s: +0
    young = _call("young", "fast", 80.0, 2, tier="vip")    # 20 s: +12
    assert _router(queues, old, young).best_call_for("x", 100.0).call_id == "young"


def test_a_call_put_back_takes_its_new_place_in_line():
    queues = {"v": QueueConfig(name="v")}
    a, b = _call("a", "v", 10.0, 1), _call("b", "v", 20.0, 2)
    r = _router(queues, a, b)
    a.entered_at = 30.0
    r.add_call(a)
    assert r.best_call_for("x", 100.0).call_id == "b"


def test_a_call_without_entry_time_waits_behind_dated_calls():
    queues = {"v": QueueConfig(name="v", requirements={"english": 9}, relax=[RelaxStep(30, max_min_level=1)])}
    undated, dated = _call("undated", "v", None, 1), _call("dated", "v", 50.0, 2)
    assert _router(queues, undated, dated).best_call_for("x", 100.0).call_id == "dated"

"""LiveRouting (one Router kept across passes, fed AvailableAgents' changes) against a fresh
``decide()`` on the same snapshot, pass after pass, while agents and calls come, go and change."""
import copy
import random

import pytest

from control.bench.passes import IndexStore
from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.domain.queue_config import STRATEGIES, QueueConfig, RelaxStep
from control.domain.router import OFFER_ORDERS, Router
from control.domain.routing import LiveRouting, decide
from control.handlers.agent_cache import AvailableAgents
from control.store.memory_state import MemoryState

SKILLS = ["en", "fr", "billing", "tech", "sales"]
NAMES = ["q0", "q1", "q2", "q3", "vipq"]


def make_queues(rng: random.Random, strategies: list[str]) -> dict[str, QueueConfig]:
    queues = {}
    for name, strategy in zip(NAMES, strategies):
        queues[name] = QueueConfig(
            name=name, strategy=strategy, requirements=rng.choice([{}, {}, {"billing": 2}, {"tech": 1}]),
            language_skills=rng.choice([{}, {"en": "en", "fr": "fr"}]), tier_boost={"vip": rng.choice([0, 5])},
            relax=rng.choice([[], [RelaxStep(3, max_min_level=1)], [RelaxStep(2, drop=("billing", "fr"))]]),
            aging_every_s=rng.choice([0.0, 2.0]), priority=rng.randint(0, 2), ring_group_size=rng.randint(1, 4),
            vip_agents=rng.sample([f"a{i:02d}" for i in range(40)], rng.choice([0, 0, 3])))
    queues["q0"].vip_queue = "vipq"
    return queues


def make_agent(rng: random.Random, i: int, now: float) -> Agent:
    return Agent(id=f"a{i:02d}", extension=str(i), queues=rng.sample(NAMES, rng.randint(1, 3)),
                 skills={s: rng.randint(1, 3) for s in rng.sample(SKILLS, rng.randint(1, 5))},
                 order=rng.randint(0, 5), calls_taken=rng.randint(0, 3), talk_time_s=float(rng.randint(0, 3)),
                 idle_since=float(int(now) - rng.randint(0, 3)), last_offered_at=float(rng.randint(0, 4)))


def make_call(rng: random.Random, i: int, now: float) -> Call:
    return Call(id=f"c{i}", caller="+1", did="+2", queue=rng.choice(NAMES[:4]), language=rng.choice(["en", "fr"]),
                requirements=[Requirement(rng.choice(SKILLS), rng.randint(1, 3))] if rng.random() < 0.3 else [],
                priority=rng.randint(0, 1), tier=rng.choice([None, None, "vip"]),
                entered_at=None if rng.random() < 0.05 else now - rng.random() * 5, seq=i, state=CallState.QUEUED)


def change_call(rng: random.Random, call: Call) -> Call:
    call = copy.copy(call)
    what = rng.randrange(3)
    if what == 0:
        call.priority += 1
    elif what == 1:
        call.extra_queues = [*call.extra_queues, rng.choice(NAMES[:4])]
    else:
        call.requirements = [Requirement(rng.choice(SKILLS), 1)]
    return call


def run_world(seed: int, passes: int = 250) -> int:
    """Both paths over one world; returns how many decisions were compared."""
    rng = random.Random(seed)
    strategies = [STRATEGIES[(seed + k) % len(STRATEGIES)] for k in range(len(NAMES))]
    queues, offer_order = make_queues(rng, strategies), OFFER_ORDERS[seed % len(OFFER_ORDERS)]
    now = 100.0
    store = IndexStore([make_agent(rng, i, now) for i in range(40)])
    for agent in store.agents.values():
        agent.state = AgentState.ON_CALL
    cache, compared = AvailableAgents(store, max_age_s=7.0), 0
    live = LiveRouting(queues, rng=random.Random(seed), offer_order=offer_order)
    fresh_rng = random.Random(seed)
    waiting: dict[str, Call] = {}
    for n in range(passes):
        now += 0.5
        for agent_id, agent in store.agents.items():
            roll = rng.random()
            if agent.state != AgentState.AVAILABLE and roll < 0.15:
                if rng.random() < 0.3:   # logged in again with other settings
                    store.agents[agent_id] = agent = make_agent(rng, int(agent_id[1:]), now)
                store.free(agent_id, now if rng.random() < 0.7 else float(int(now)))
            elif agent.state == AgentState.AVAILABLE and roll < 0.04:
                agent.state = AgentState.BREAK
                store.index.pop(agent_id, None)
            elif agent.state == AgentState.AVAILABLE and roll < 0.06:
                agent.state = AgentState.RESERVED   # by another controller: still indexed, stale in the cache
            elif agent.state == AgentState.RESERVED and agent_id in store.index and roll < 0.5:
                store.index.pop(agent_id, None)
        for _ in range(rng.randint(0, 3)):
            call = make_call(rng, 1000 * seed + n * 10 + len(waiting), now)
            waiting[call.id] = call
        for call_id in list(waiting):
            roll = rng.random()
            if roll < 0.05:
                del waiting[call_id]
            elif roll < 0.12:
                waiting[call_id] = change_call(rng, waiting[call_id])
        calls = [copy.copy(c) for c in waiting.values()]   # read again from the store each pass
        if rng.random() < 0.05:
            calls[0:0] = [copy.copy(c) for c in calls[:2]]
        agents = cache.read(now)
        live.update_agents(cache.take_changes())
        assert sorted(live.router.agents) == [a.id for a in agents]
        want = decide(now, calls, agents, queues, rng=fresh_rng, offer_order=offer_order) if agents else []
        got = live.decide(now, calls)
        assert got == want, f"pass {n}"
        compared += len(want)
        cache.forget(a for d in got for a in d.agent_ids)
        for d in got:
            if rng.random() < 0.2:
                continue   # the reservation failed (the call or the agent was taken meanwhile)
            reserved = [a for a in d.agent_ids if store.reserve(a, now)]
            if reserved:
                waiting.pop(d.call_id, None)
    return compared


@pytest.mark.parametrize("seed", range(12))
def test_live_routing_decides_as_a_fresh_router(seed):
    assert run_world(seed) > 50


def test_a_replaced_agent_is_routed_by_its_new_fields():
    rng = random.Random(3)
    queues = make_queues(rng, ["longest-idle-agent"] * len(NAMES))
    a, b = make_agent(rng, 1, 10.0), make_agent(rng, 2, 10.0)
    a.queues = b.queues = ["q1"]
    a.skills = b.skills = {"en": 3, "fr": 3, "billing": 3, "tech": 3}
    a.idle_since, b.idle_since = 1.0, 2.0
    for agent in (a, b):
        agent.state = AgentState.AVAILABLE
    live = LiveRouting(queues)
    live.update_agents({"a01": a, "a02": b})
    moved = copy.copy(a)
    moved.idle_since = 5.0
    call = make_call(random.Random(1), 1, 10.0)
    call.queue, call.requirements, call.tier = "q1", [], None
    assert live.decide(10.0, [call])[0].agent_ids == ["a01"]
    live.update_agents({"a01": moved, "a02": b})
    assert live.decide(10.0, [call])[0].agent_ids == ["a02"]   # a01 idle since later now
    assert decide(10.0, [call], [moved, b], queues)[0].agent_ids == ["a02"]


def test_a_call_read_again_unchanged_keeps_its_entry_and_a_changed_one_moves():
    queues = {"q": QueueConfig(name="q"), "r": QueueConfig(name="r")}
    router = Router(queues)
    call = Call(id="c1", caller="+1", did="+2", queue="q", entered_at=1.0, seq=1, state=CallState.QUEUED)
    router.sync_calls([call])
    entry = router._entry["c1"]
    router.sync_calls([copy.copy(call)])
    assert router._entry["c1"] is entry
    moved = copy.copy(call)
    moved.queue = "r"
    router.sync_calls([moved])
    assert router._entry["c1"] is not entry and router.calls["c1"] is moved
    router.sync_calls([])
    assert router.calls == {} and router._signature == {}


def test_stale_heap_entries_are_swept():
    queues = {"q": QueueConfig(name="q", requirements={"tech": 5})}
    router = Router(queues)
    head = Call(id="head", caller="+1", did="+2", queue="q", entered_at=0.0, seq=1, state=CallState.QUEUED)
    router.add_call(head)   # nobody can take it: it heads its bucket for good
    for i in range(500):
        call = Call(id=f"c{i}", caller="+1", did="+2", queue="q", entered_at=1.0 + i, seq=2 + i,
                    state=CallState.QUEUED)
        router.add_call(call)
        router.remove_call(call.id)
    bucket = router.buckets[router._call_bucket["head"]]
    assert bucket.live == 1 and len(bucket.heap) <= 33


def test_memory_store_changes_follow_its_index_as_redis_does():
    store = MemoryState()
    for i in range(3):
        store.put_agent(Agent(id=f"a{i}", extension=str(i), state=AgentState.AVAILABLE, idle_since=float(i)))
    cache = AvailableAgents(store)
    cache.refresh(1.0)
    assert sorted(cache.take_changes()) == ["a0", "a1", "a2"]
    cache.refresh(2.0)
    assert cache.take_changes() == {}
    store.set_agent_state("a1", AgentState.BREAK, 3.0)
    store.set_agent_state("a2", AgentState.BREAK, 3.0)
    store.set_agent_state("a2", AgentState.AVAILABLE, 3.5)   # left and came back: a new idle_since
    cache.agents_changed = True   # as the dispatcher's trigger says
    cache.refresh(4.0)
    changes = cache.take_changes()
    assert changes.keys() == {"a1", "a2"} and changes["a1"] is None and changes["a2"].idle_since == 3.5
    assert [a.id for a in cache.read(4.0)] == ["a0", "a2"]


def test_index_store_changes_follow_scores():
    agents = [Agent(id=f"a{i}", extension=str(i), state=AgentState.ON_CALL) for i in range(3)]
    store = IndexStore(agents)
    for i in range(3):
        store.free(f"a{i}", 1.0)
    cache = AvailableAgents(store)
    cache.refresh(1.0)
    assert sorted(cache.take_changes()) == ["a0", "a1", "a2"]
    store.reserve("a0", 2.0)
    store.free("a0", 3.0)                     # away and back: a new score, read again
    store.agents["a1"].state = AgentState.BREAK
    store.index.pop("a1")
    cache.agents_changed = True               # as Manager.trigger marks it for anything but a queued call
    cache.refresh(3.0)
    changes = cache.take_changes()
    assert changes.keys() == {"a0", "a1"} and changes["a1"] is None and changes["a0"].calls_taken == 2
    cache.forget(["a2"])                       # decided on: fetched again while still indexed
    cache.refresh(3.5)
    assert list(cache.take_changes()) == ["a2"]
    assert cache.take_all().keys() == {"a0", "a2"} and cache.take_changes() == {}


def test_a_pass_for_a_queued_call_reuses_a_fresh_index_read(monkeypatch):
    store = IndexStore([Agent(id="a0", extension="0", state=AgentState.ON_CALL)])
    store.free("a0", 1.0)
    reads = []
    real = store.available_index
    monkeypatch.setattr(store, "available_index", lambda: reads.append(1) or real())
    cache = AvailableAgents(store)
    cache.refresh(1.0)
    store.free("a0", 2.0)                     # changed, but no agent trigger: the read is 0 s old
    cache.refresh(2.0)
    assert len(reads) == 1 and cache.take_changes().keys() == {"a0"}
    cache.agents_changed = True
    cache.refresh(2.0)
    assert len(reads) == 2 and cache.take_changes()["a0"] is not None   # the new score: fetched again


def test_an_agent_this_controller_freed_is_kept_without_an_index_read(monkeypatch):
    store = IndexStore([Agent(id=f"a{i}", extension=str(i), state=AgentState.ON_CALL) for i in range(2)])
    store.free("a0", 1.0)
    cache = AvailableAgents(store)
    assert cache.note_available(store.agents_by_id(["a0"])[0]) is False   # nothing read yet: no base to add to
    cache.refresh(1.0)
    cache.take_changes()
    reads = []
    real = store.available_index
    monkeypatch.setattr(store, "available_index", lambda: reads.append(1) or real())
    store.free("a1", 2.0)
    assert cache.note_available(store.agents_by_id(["a1"])[0]) is True
    cache.refresh(2.0)
    assert reads == [] and cache.take_changes().keys() == {"a1"}
    cache.agents_changed = True
    cache.refresh(2.0)                                                    # the index agrees: nothing to fetch
    assert reads == [1] and cache.take_changes() == {} and cache.take_all().keys() == {"a0", "a1"}


def test_the_bench_pass_figure_compares_like_with_like():
    from control.bench.routing import run_passes

    out = run_passes(n_agents=600, n_skills=50, idle=300, n=400, seed=5)
    for workload in ("mix", "one_queue"):
        assert out[workload]["kept"]["decisions"] > 0
        assert out[workload]["kept"]["same_as_fresh"], workload   # the kept Router decides as a fresh one

"""Two OS processes decide and reserve over one Redis at once: no double assignment."""
import multiprocessing as mp
import random

import pytest

from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.domain.queue_config import QueueConfig
from control.domain.routing import decide
from control.store.redis_state import RedisState

pytestmark = pytest.mark.integration

QUEUES = {"support": QueueConfig(name="support", strategy="longest-idle-agent"),
          "billing": QueueConfig(name="billing", strategy="ring-progressively")}


def worker(url, prefix, name, start, out):
    import redis

    store = RedisState(redis.Redis.from_url(url), prefix)
    store.agents()  # connect and load the scripts before the start line
    won = []
    start.wait(timeout=60)
    idle_rounds = 0
    while idle_rounds < 3:
        waiting = [c for c in store.waiting_calls() if c.state == CallState.QUEUED]
        agents = [a for a in store.agents() if a.state == AgentState.AVAILABLE]
        got = 0
        # Both decide the same pairs from the same snapshot; one walks them backwards so the two
        # meet in the middle and fight over the same call/agent pairs.
        decisions = decide(1000.0, waiting, agents, QUEUES, rng=random.Random(1))
        if name == "p1":
            decisions.reverse()
        for d in decisions[:10]:   # small rounds: many snapshots, both processes stay in the race
            for agent_id in d.agent_ids:
                if store.reserve(d.call_id, agent_id, name, 30, 1000.0):
                    won.append((d.call_id, agent_id))
                    got += 1
                    break
        idle_rounds = 0 if got else idle_rounds + 1
    out.put(won)


def test_two_processes_never_double_assign(redis_client, redis_url, redis_prefix):
    store = RedisState(redis_client, redis_prefix)
    for i in range(200):
        store.put_agent(Agent(id=f"a{i}", extension=str(1000 + i), skills={"english": 1 + i % 10},
                              queues=["support"] if i % 2 else ["support", "billing"],
                              state=AgentState.AVAILABLE, idle_since=float(i % 17)))
    for i in range(500):
        store.put_call(Call(id=f"c{i}", caller="+1", did="+2", queue="billing" if i % 3 == 0 else "support",
                            requirements=[Requirement("english", 1 + i % 4)], entered_at=float(i),
                            state=CallState.QUEUED))
    ctx = mp.get_context("spawn")
    start, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=worker, args=(redis_url, redis_prefix, f"p{n}", start, out)) for n in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    pairs = results[0] + results[1]
    assert results[0] and results[1], "both processes should win some reservations"
    agents = [a for _, a in pairs]
    calls = [c for c, _ in pairs]
    assert len(agents) == len(set(agents)), "an agent got two calls"
    assert len(calls) == len(set(calls)), "a call got two agents"
    assert len(pairs) == 200   # every agent ended up with exactly one call
    for call_id, agent_id in pairs:
        assert store.get_agent(agent_id).call_id == call_id
        assert store.get_call(call_id).agent_id == agent_id

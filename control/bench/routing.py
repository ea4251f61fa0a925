"""Routing benchmark: decisions/s and p50/p99 decision latency, in process and with Redis.

A decision is choosing the best call for a freed agent (the busy-center case) or
the best agent for a new call (the idle-center case); both are timed, alternately,
over 10,000 waiting calls, 2,000 agents and 50 skills. With Redis the timing covers
the decision plus the atomic reserve (Lua) round trip.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import time
import uuid

from control.bench import passes
from control.domain.models import Agent, AgentState, Call, CallState, Requirement
from control.domain.queue_config import QueueConfig, RelaxStep
from control.domain.router import Router
from control.domain.routing import decide

STRATS = ["longest-idle-agent", "most-skilled", "round-robin", "fewest-calls", "top-down",
          "least-talk-time", "random", "ring-progressively", "longest-idle-agent", "most-skilled"]


def build(n_calls: int, n_agents: int, n_skills: int, seed: int = 7):
    rng = random.Random(seed)
    skills = [f"skill{i:02d}" for i in range(n_skills)]
    languages = skills[:5]
    queues = {}
    for i in range(10):
        queues[f"q{i}"] = QueueConfig(
            name=f"q{i}", strategy=STRATS[i], requirements={skills[10 + i]: 2},
            language_skills={f"l{j}": languages[j] for j in range(5)}, tier_boost={"vip": 20},
            aging_every_s=30, relax=[RelaxStep(60, max_min_level=1)])
    agents = []
    for i in range(n_agents):
        own = {s: rng.randint(1, 10) for s in rng.sample(skills, rng.randint(3, 8))}
        qs = rng.sample(sorted(queues), rng.randint(1, 3))
        for q in qs:
            own[next(iter(queues[q].requirements))] = rng.randint(2, 10)   # every bench queue requires a skill
        own[languages[i % 5]] = rng.randint(3, 10)
        agents.append(Agent(id=f"a{i}", extension=str(10000 + i), skills=own, queues=qs,
                            state=AgentState.ON_CALL, idle_since=rng.random() * 100, order=i))
    calls = [new_call(rng, i, skills, float(i) * 0.01) for i in range(n_calls)]
    return queues, agents, calls, skills


def new_call(rng: random.Random, i: int, skills: list[str], entered: float) -> Call:
    reqs = [Requirement(rng.choice(skills[20:30]), rng.randint(1, 3))] if rng.random() < 0.3 else []
    return Call(id=f"c{i}", caller="+1", did="+2", queue=f"q{rng.randrange(10)}", language=f"l{rng.randrange(5)}",
                requirements=reqs, priority=rng.choice([0, 0, 0, 1, 2]), tier=rng.choice([None] * 9 + ["vip"]),
                entered_at=entered, seq=i + 1, state=CallState.QUEUED)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def summary(samples: list[float]) -> dict:
    total = sum(samples)
    return {"decisions_per_s": round(len(samples) / total, 1) if total else 0.0,
            "p50_ms": round(pct(samples, 0.50) * 1000, 4), "p99_ms": round(pct(samples, 0.99) * 1000, 4),
            "samples": len(samples)}


def run_in_process(queues, agents, calls, skills, n: int, seed: int) -> tuple[dict, Router]:
    rng = random.Random(seed)
    router = Router(queues, rng=random.Random(seed))
    for c in calls:
        router.add_call(c)
    now, next_id, samples = 1000.0, len(calls), []
    by_kind: dict[str, list[float]] = {"agent_freed": [], "call_arrived": []}
    busy = list(agents)
    for k in range(n):
        now += 0.01
        if k % 2 == 0:   # an agent frees up: best call for it
            agent = busy[rng.randrange(len(busy))]
            agent.state, agent.idle_since = AgentState.AVAILABLE, now
            router.add_agent(agent)
            t0 = time.perf_counter()
            d = router.best_call_for(agent.id, now)
            samples.append(time.perf_counter() - t0)
            by_kind["agent_freed"].append(samples[-1])
            router.remove_agent(agent.id)
            agent.state = AgentState.ON_CALL
        else:            # a call arrives while 200 agents are available: best agent for it
            if len(router.agents) < 200:
                for a in rng.sample(agents, 200):
                    a.state = AgentState.AVAILABLE
                    router.add_agent(a)
            call = new_call(rng, next_id, skills, now)
            next_id += 1
            router.add_call(call)
            t0 = time.perf_counter()
            d = router.best_agent_for(call.id, now)
            samples.append(time.perf_counter() - t0)
            by_kind["call_arrived"].append(samples[-1])
            if d is not None:
                router.commit(d)
                continue
        if d is not None:
            router.remove_call(d.call_id)
            router.add_call(new_call(rng, next_id, skills, now))
            next_id += 1
    return {**summary(samples), "by_kind": {k: summary(v) for k, v in by_kind.items()}}, router


def run_batch(queues, agents, calls) -> dict:
    snapshot = [Agent(**{**a.__dict__, "state": AgentState.AVAILABLE}) for a in agents]
    t0 = time.perf_counter()
    decisions = decide(1000.0, calls, snapshot, queues, rng=random.Random(1))
    took = time.perf_counter() - t0
    return {"decisions": len(decisions), "seconds": round(took, 4),
            "decisions_per_s": round(len(decisions) / took, 1)}


def pass_workloads(n_agents: int, n_skills: int, seed: int) -> dict:
    """Two workloads for the dispatch-pass figure: the 10-queue mix above, and one queue with no
    skills and longest-idle-agent (the calls bench's set-up: every idle agent is a candidate)."""
    queues, agents, _, skills = build(0, n_agents, n_skills, seed)
    one = {"q": QueueConfig(name="q")}
    plain = [Agent(id=f"a{i}", extension=str(10000 + i), skills={"english": 5, "sales": 1 + i % 9}, queues=["q"],
                   order=i) for i in range(n_agents)]
    return {"mix": (queues, agents, lambda rng, i, now: new_call(rng, i, skills, now)),
            "one_queue": (one, plain, passes.one_queue_call)}


def run_passes(n_agents: int, n_skills: int, idle: int, n: int, seed: int) -> dict:
    out: dict = {}
    for name, (queues, agents, make_call) in pass_workloads(n_agents, n_skills, seed).items():
        out[name] = {}
        made: dict[str, list] = {}
        for mode, dispatcher in passes.DISPATCHERS.items():
            made[mode] = []
            samples = passes.simulate(queues, [copy.deepcopy(a) for a in agents], make_call, n, idle, seed,
                                      dispatcher(queues, random.Random(seed)),
                                      on_pass=lambda now, waiting, ds, got=made[mode]: got.extend(ds))
            out[name][mode] = {"mean_ms": round(sum(samples) / len(samples) * 1000, 4),
                               "p50_ms": round(pct(samples, 0.50) * 1000, 4),
                               "p99_ms": round(pct(samples, 0.99) * 1000, 4), "passes": len(samples),
                               "decisions": len(made[mode]), "same_as_fresh": made[mode] == made["fresh"]}
    return out


def run_redis(url: str, queues, agents, calls, skills, n: int, seed: int) -> dict:
    import redis

    from control.store.redis_state import RedisState

    client = redis.Redis.from_url(url)
    prefix = f"hotline-bench-{uuid.uuid4().hex[:8]}"
    store = RedisState(client, prefix)
    try:
        for a in agents:
            a.state = AgentState.ON_CALL
            store.put_agent(a)
        for c in calls:
            store.put_call(c)
        rng = random.Random(seed)
        router = Router(queues, rng=random.Random(seed))
        for c in calls:
            router.add_call(c)
        now, next_id, samples = 1000.0, len(calls), []
        for _ in range(n):
            now += 0.01
            agent = agents[rng.randrange(len(agents))]
            agent.state, agent.idle_since = AgentState.AVAILABLE, now
            store.release("none", agent.id, AgentState.AVAILABLE, now, requeue_call=False)
            client.hset(store.keys.agent(agent.id), mapping={"state": "available", "call_id": ""})
            router.add_agent(agent)
            t0 = time.perf_counter()
            d = router.best_call_for(agent.id, now)
            ok = d is not None and store.reserve(d.call_id, agent.id, "bench", 30, now)
            samples.append(time.perf_counter() - t0)
            router.remove_agent(agent.id)
            agent.state = AgentState.ON_CALL
            if ok and d is not None:
                router.remove_call(d.call_id)
                store.remove_call(d.call_id)
                client.hset(store.keys.agent(agent.id), mapping={"state": "on_call"})
                c = new_call(rng, next_id, skills, now)
                next_id += 1
                router.add_call(c)
                store.put_call(c)
        return summary(samples)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=5000))
        for i in range(0, len(keys), 5000):
            client.delete(*keys[i:i + 5000])
        client.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline bench routing", description=__doc__)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--agents", type=int, default=2_000)
    parser.add_argument("--skills", type=int, default=50)
    parser.add_argument("--decisions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--passes", type=int, default=2_000, help="dispatch passes timed per workload and mode")
    parser.add_argument("--idle", type=int, default=1_000, help="idle agents during the dispatch passes")
    parser.add_argument("--redis-url", default=None, help="default: the configured redis_url")
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only-passes", action="store_true", help="only the dispatch-pass figure")
    args = parser.parse_args(argv)

    result: dict = {}
    if not args.only_passes:
        queues, agents, calls, skills = build(args.calls, args.agents, args.skills, args.seed)
        result["in_process"], _ = run_in_process(queues, agents, calls, skills, args.decisions, args.seed)
        queues, agents, calls, skills = build(args.calls, args.agents, args.skills, args.seed)
        result["batch_decide"] = run_batch(queues, agents, calls)
    result["dispatch_pass"] = run_passes(args.agents, args.skills, args.idle, args.passes, args.seed)
    if not args.no_redis and not args.only_passes:
        from control.config import load_config

        url = args.redis_url or load_config().redis_url
        queues, agents, calls, skills = build(args.calls, args.agents, args.skills, args.seed)
        result["redis"] = run_redis(url, queues, agents, calls, skills, max(1000, args.decisions // 4), args.seed)
    if args.json:
        print(json.dumps(result))
        return 0
    if not args.only_passes:
        print(f"routing: {args.calls} waiting calls, {args.agents} agents, {args.skills} skills")
        print(f"{'mode':<12} {'decisions/s':>12} {'p50 ms':>9} {'p99 ms':>9} {'samples':>8}")
    for mode in ("in_process", "redis"):
        if mode in result:
            r = result[mode]
            print(f"{mode:<12} {r['decisions_per_s']:>12.1f} {r['p50_ms']:>9.4f} {r['p99_ms']:>9.4f} {r['samples']:>8}")
            for kind, k in r.get("by_kind", {}).items():
                print(f"  {kind:<10} {k['decisions_per_s']:>12.1f} {k['p50_ms']:>9.4f} {k['p99_ms']:>9.4f} "
                      f"{k['samples']:>8}")
    print(f"dispatch pass ({args.idle} idle agents, 1-5 waiting calls): agent cache read + decisions")
    print(f"{'workload':<10} {'mode':<6} {'mean ms':>9} {'p50 ms':>9} {'p99 ms':>9} {'passes':>7} {'decisions':>9}"
          f"  same as fresh")
    for name, modes in result["dispatch_pass"].items():
        for mode, r in modes.items():
            print(f"{name:<10} {mode:<6} {r['mean_ms']:>9.4f} {r['p50_ms']:>9.4f} {r['p99_ms']:>9.4f} {r['passes']:>7} "
                  f"{r['decisions']:>9}  {'yes' if r['same_as_fresh'] else 'NO'}")
    b = result.get("batch_decide")
    if b:
        print(f"decide() on the full snapshot (all agents free): {b['decisions']} decisions in {b['seconds']} s "
              f"= {b['decisions_per_s']}/s")
    return 0

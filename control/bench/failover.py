"""Failover benchmark: the Redis primary is killed under steady call load.

Real ``redis-server`` and ``redis-sentinel`` processes on loopback ports of their own (Debian's
packages; control/bench/sentinels.py), the switch simulator in this process, and ``--controllers``
``hotline controller`` processes configured for Sentinel (``redis_sentinels``). Calls arrive at
``--rate`` per second; after ``--before-s`` the primary is SIGKILLed, the sentinels promote the
replica, and the load goes on for ``--after-s``. Then every call is let finish and it reports:

- ``recovery_s``: from the kill until a client of the factory (control/store/redis_clients.py) writes
  to the new primary, and ``first_bridge_s``: until a call that arrived after the kill is bridged;
- ``calls_during_outage``: calls that arrived between the kill and the recovery;
- ``calls_lost``: calls that ended without reaching an agent and not by their caller's choice
  (callers are patient), and ``bridged_cut``: calls already bridged that were cut short;
- ``records_lost``: calls without a call record in the database once they ended;
- ``agents_stuck``: agents not available in live state once every call and wrap-up is over.

Goal (issue 19): recovery under 10 s, 0 bridged calls lost, 0 records lost, 0 agents stuck.

    hotline bench failover [--rate 4] [--before-s 10] [--after-s 20] [--agents 20] [--talk-s 4]
                           [--controllers 2] [--nodes 2] [--json]

``--nodes`` simulated switch nodes (control/bench/nodes.py): the agents' phones are registered on them in
turn, calls come in on them in turn, and the controllers have every node in ``switch_nodes``, so calls
also cross between the nodes (``crossed``: bridged to an agent registered on another node).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time

import gevent

GOAL = {"recovery_s": 10.0, "bridged_cut": 0, "records_lost": 0, "agents_stuck": 0}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline bench failover", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=4.0, help="calls per second")
    parser.add_argument("--before-s", type=float, default=10.0)
    parser.add_argument("--after-s", type=float, default=20.0)
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--talk-s", type=float, default=4.0)
    parser.add_argument("--controllers", type=int, default=2)
    parser.add_argument("--nodes", type=int, default=2, help="simulated switch nodes")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    from control.bench.sentinels import available

    if not available():
        print("hotline bench failover: needs redis-server and redis-sentinel (apt-get install redis-sentinel)",
              file=sys.stderr)
        return 2
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        print(table(result))
    return 0 if result["goal_met"] else 1


def run(args) -> dict:
    from control.bench.calls import Rig
    from control.bench.nodes import NodesRig
    from control.bench.sentinels import Sentinels

    sentinels = Sentinels().start()
    saved = {k: os.environ.get(k) for k in ("HOTLINE_REDIS_SENTINELS", "HOTLINE_REDIS_SENTINEL_SERVICE")}
    # the controllers inherit these (Rig passes os.environ on): every client goes through the sentinels
    os.environ["HOTLINE_REDIS_SENTINELS"] = sentinels.sentinel_list()
    os.environ["HOTLINE_REDIS_SENTINEL_SERVICE"] = sentinels.service
    rig = None
    try:
        redis_url = f"redis://127.0.0.1:{sentinels.primary}/0"
        nodes = getattr(args, "nodes", 1)
        rig = NodesRig(args.agents, args.controllers, None, redis_url, nodes=nodes) if nodes > 1 else \
            Rig(args.agents, args.controllers, None, redis_url)
        rig.add_phones(answer_after=0.3, talk_s=args.talk_s)
        rig.start_controllers()
        return measure(args, rig, sentinels)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if rig is not None:
            _close(rig)
        sentinels.stop()


def measure(args, rig, sentinels) -> dict:
    from control.config import load_config
    from control.store.redis_clients import redis_client
    from control.store.redis_state import RedisState

    config = load_config().replace(redis_prefix=rig.prefix)   # sentinels from the environment set above
    client = redis_client(config, socket_connect_timeout=1, socket_timeout=2)
    placed: list = []
    total_s = args.before_s + args.after_s

    def load() -> None:
        started, n = time.monotonic(), 0
        while time.monotonic() - started < total_s:
            placed.append((time.monotonic(), _place(rig, caller=f"+1415555{n % 10000:04d}", did="+18005550100",
                                                     patience=600)))
            n += 1
            gevent.sleep(max(0.0, started + n / args.rate - time.monotonic()))

    loader = gevent.spawn(load)
    gevent.sleep(args.before_s)
    killed_at, killed_wall = time.monotonic(), time.time()   # bridged_at is wall-clock time
    sentinels.kill_primary()
    recovery_s = _until_written(client, rig.prefix, killed_at)
    loader.join()
    # every call ends: its wait for an agent, its talk, the wrap-up after it
    deadline = time.monotonic() + 120
    while any(not h.done.ready() for _, h in placed) and time.monotonic() < deadline:
        gevent.sleep(0.5)
    handles = [h for _, h in placed]
    after_kill = [(t, h) for t, h in placed if t >= killed_at]
    first_bridge = min((h.bridged_at for _, h in after_kill if h.bridged_at), default=None)
    store = RedisState(client, rig.prefix)
    stuck = _agents_stuck(store, len(rig.extensions), wait_s=15)
    records = _records(rig.database_url, wait_s=15, expected={h.uuid for h in handles})
    result = {
        "calls": len(handles), "bridged": sum(1 for h in handles if h.bridged_at),
        "recovery_s": round(recovery_s, 2),
        "first_bridge_s": round(first_bridge - killed_wall, 2) if first_bridge else None,
        "calls_during_outage": sum(1 for t, _ in placed if killed_at <= t <= killed_at + recovery_s),
        "calls_lost": sum(1 for h in handles if h.done.ready() and not h.bridged_at),
        "bridged_cut": sum(1 for h in handles if h.bridged_at and h.ended_at
                           and h.ended_at - h.bridged_at < args.talk_s - 0.5),
        "unfinished": sum(1 for h in handles if not h.done.ready()),
        "records_lost": len({h.uuid for h in handles} - records),
        "agents_stuck": stuck,
        "controllers": args.controllers, "rate": args.rate,
        "nodes": len(getattr(rig, "nodes", [rig.switch])),
        "crossed": sum(1 for h, node in getattr(rig, "placed_on", {}).items()
                       if h.answered_by_agent and rig.registered.get(h.answered_by_agent) != node),
    }
    result["goal_met"] = (result["recovery_s"] < GOAL["recovery_s"] and result["bridged_cut"] == 0
                          and result["records_lost"] == 0 and result["agents_stuck"] == 0
                          and result["calls_lost"] == 0 and result["unfinished"] == 0)
    return result


def _place(rig, **call):
    """The next call: on the next node of a NodesRig (noting which), else on the one switch."""
    if not hasattr(rig, "nodes"):
        return rig.switch.place_call(**call)
    node, handle = rig.place_call(**call)
    rig.placed_on = getattr(rig, "placed_on", {})
    rig.placed_on[handle] = node.name
    return handle


def _until_written(client, prefix: str, since: float, limit_s: float = 60.0) -> float:
    from control.store.keys import Keys

    key, last = Keys(prefix).claim("bench-failover-probe"), None
    while time.monotonic() - since < limit_s:
        try:
            client.set(key, "1", ex=60)
            return time.monotonic() - since
        except Exception as exc:   # the primary is gone until the sentinels promote the replica
            last = exc
            gevent.sleep(0.05)
    print(f"hotline bench failover: no write within {limit_s:.0f} s ({last!r})", file=sys.stderr)
    return float("inf")


def _agents_stuck(store, expected: int, wait_s: float) -> int:
    from control.domain.models import AgentState

    deadline, stuck = time.monotonic() + wait_s, expected
    while time.monotonic() < deadline:
        try:
            agents = store.agents()
            stuck = expected - sum(1 for a in agents if a.state == AgentState.AVAILABLE)
        except Exception:
            stuck = expected
        if stuck == 0:
            return 0
        gevent.sleep(0.5)
    return stuck


def _records(database_url: str, wait_s: float, expected: set[str]) -> set[str]:
    from sqlalchemy import select

    from records.db import session_factory
    from records.models import Call

    sessions, found = session_factory(database_url), set()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        with sessions() as session:
            found = set(session.scalars(select(Call.call_id)))
        if expected <= found:
            break
        gevent.sleep(0.5)
    return found


def _close(rig) -> None:
    """The rig's own cleanup drops its keys through the killed primary's URL: skip that part."""
    for proc in rig.procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in rig.procs:
        try:
            proc.wait(10)
        except Exception:
            proc.kill()
    for node in getattr(rig, "nodes", [rig.switch]):
        node.stop()
    shutil.rmtree(rig.tmp, ignore_errors=True)


def table(r: dict) -> str:
    rows = [("calls placed", r["calls"]), ("bridged", r["bridged"]),
            ("recovery (kill -> write on the new primary)", f"{r['recovery_s']} s"),
            ("first bridge after the kill", f"{r['first_bridge_s']} s" if r["first_bridge_s"] is not None else "-"),
            ("calls arriving during the outage", r["calls_during_outage"]),
            ("calls lost", r["calls_lost"]), ("bridged calls cut", r["bridged_cut"]),
            ("calls unfinished", r["unfinished"]), ("records lost", r["records_lost"]),
            ("agents stuck", r["agents_stuck"]),
            ("switch nodes / calls bridged across nodes", f"{r['nodes']} / {r['crossed']}"),
            ("goal (recovery < 10 s, 0 lost, 0 cut, 0 records lost, 0 stuck)", "met" if r["goal_met"] else "NOT met")]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)

"""Soak: steady traffic at 80% of the measured maximum for a bounded wall time.

Same rig as ``hotline bench calls`` (controller process, simulator here, Redis, a database). Calls
are short so an hour's worth of call set-ups and tear-downs is compressed into the run. Reports
lost calls, the controller's RSS slope after warm-up (flat memory), and the keys under the Redis
prefix before the traffic and after the last call ended (no growing keys).

    hotline bench soak [--max-cps 50] [--duration-s 120] [--talk-s 3] [--controllers 1] [--probe-s 10] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import gevent

from control.bench.calls import Rig


def slope_kb_per_min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in KB per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if not var:
        return 0.0
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return cov / var * 1024 * 60


def count_keys(redis_url: str, prefix: str) -> tuple[int, int]:
    """(keys under the prefix, of which without a TTL): keys with a TTL expire on their own."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=5000))
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.ttl(key)
        return len(keys), sum(1 for ttl in pipe.execute() if ttl == -1)
    finally:
        client.close()


def run(args) -> dict:
    rate = args.rate or 0.8 * args.max_cps
    rig = Rig(args.agents, args.controllers, args.database_url, args.redis_url, probe_s=args.probe_s)
    rig.add_phones(answer_after=0.05, talk_s=args.talk_s)
    try:
        procs = rig.start_controllers()
        gevent.sleep(1.0)
        keys_before = count_keys(rig.redis_url, rig.prefix)
        handles, rss = [], []
        start, n, next_sample = time.monotonic(), 0, 0.0
        while (elapsed := time.monotonic() - start) < args.duration_s:
            due = n / rate
            if due > elapsed:
                gevent.sleep(due - elapsed)
            port = rig.ports[n % len(rig.ports)]   # round-robin over the controllers
            handles.append(rig.switch.place_call(caller=f"+1415{n % 10_000_000:07d}", did="+18005550100",
                                                 controller=("127.0.0.1", port)))
            n += 1
            if elapsed >= next_sample:
                rss.append((elapsed, sum(p.memory_info().rss for p in procs) / 2**20))
                next_sample += args.sample_s
            if len(handles) > 5000:   # keep the simulator's own memory bounded: drop finished handles
                handles = [h for h in handles if not h.done.ready() or not h.bridged_at]
        deadline = time.monotonic() + args.talk_s + 20
        while time.monotonic() < deadline and not all(h.done.ready() for h in handles):
            gevent.sleep(0.5)
        gevent.sleep(3.0)    # wrap-up timers and the last records
        keys_after = count_keys(rig.redis_url, rig.prefix)
        lost_handles = [h for h in handles if not h.bridged_at]
        causes: dict[str, int] = {}
        for h in lost_handles:
            key = f"{h.channel.hangup_cause}/{h.channel.hangup_by}"
            causes[key] = causes.get(key, 0) + 1
        warm = [s for s in rss if s[0] >= args.duration_s / 3]
        return {"rate_cps": round(rate, 1), "duration_s": args.duration_s, "controllers": args.controllers, "calls": n, "lost": len(lost_handles),
                "lost_causes": causes,
                "rss_start_mb": round(rss[0][1], 1) if rss else None,
                "rss_end_mb": round(rss[-1][1], 1) if rss else None,
                "rss_slope_kb_per_min": round(slope_kb_per_min(warm), 1),
                "rss_samples_mb": [round(m) for _, m in rss],
                "redis_keys_before": keys_before[0], "redis_keys_after": keys_after[0],
                "persistent_keys_before": keys_before[1], "persistent_keys_after": keys_after[1]}
    finally:
        rig.close(keep=args.keep)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline bench soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-cps", type=float, default=50.0, help="the maximum from `hotline bench calls`")
    parser.add_argument("--rate", type=float, default=0.0, help="calls/s (default: 80%% of --max-cps)")
    parser.add_argument("--duration-s", type=float, default=120.0, help="wall time of traffic")
    parser.add_argument("--talk-s", type=float, default=3.0)
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--controllers", type=int, default=1, help="RSS is their sum")
    parser.add_argument("--sample-s", type=float, default=5.0)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", default="")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--probe-s", type=float, default=0.0,
                        help="log controller internals every N s into its log (control/bench/probe.py)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2), file=sys.stdout)
    return 0

"""``hotline workforce replay``: check a planned interval on the digital twin before going live.

The planner's forecast for one 15-minute interval of a queue (docs/workforce.md: history from the
report rollup, the weighted seasonal forecast) and the agents the plan puts on the phones (Erlang C for
the queue's service-level target, or ``--agents``) are replayed through the switch simulator and a
real controller (``simulator.runner``, as ``hotline simulate --report``): Poisson callers at the
forecast rate, agents whose talk times are exponential with the forecast handle time. ``--speed``
runs the interval faster with the same queueing (rate x speed, handle time and service-level
threshold / speed), so a 15-minute interval takes under a minute; waits are shown in real seconds.
Above about 20x the controller's own tens of milliseconds per call are no longer small against the
compressed service-level threshold (measured: 88 % on the twin against Erlang C's 83 % at 20x, 37 %
at 60x for the same interval): keep the default unless the handle times are long.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import date, datetime, timedelta

HISTORY_DAYS = 56


def _interval(config, queue: str, day: date, at: str, database_url: str | None, default_aht_s: float):
    """The forecast Interval of ``queue`` at ``at`` (HH:MM) on ``day``, from the rollup history."""
    from control.domain.workforce.forecast import forecast
    from records.db import session_factory
    from reports.intervals import zone
    from reports.workforce import history

    hour, minute = (int(part) for part in at.split(":"))
    slot = hour * 4 + minute // 15
    tz = config.timezone
    yesterday = datetime.now(zone(tz)).date() - timedelta(days=1)
    with session_factory(database_url or config.database_url)() as session:
        past = history(session, queue, min(day - timedelta(days=1), yesterday), HISTORY_DAYS, tz)
    return forecast(past, day, 1, default_aht_s=default_aht_s)[slot]


def replay(args) -> dict:
    import yaml

    from control.bench.erlang import compare, scenario
    from control.config import load_config
    from control.domain import erlang
    from control.domain.workforce.staffing import Target, required
    from control.queues import load_queues
    from simulator.runner import run as run_scenario

    config = load_config()
    if args.redis_url:
        config = config.replace(redis_url=args.redis_url)
    queues = load_queues(config.queues_dir)
    if args.queue not in queues:
        raise SystemExit(f"unknown queue {args.queue!r}; the queues are {', '.join(sorted(queues))}")
    q = queues[args.queue]
    interval = _interval(config, args.queue, args.day, args.at, args.database_url, q.aht_s)
    if interval.offered < 1:
        raise SystemExit(f"no calls forecast for {args.queue} at {args.day} {args.at}: nothing to replay "
                         "(hotline db rollup, or the workforce page, shows the history the forecast reads)")
    plan = required(interval, Target(q.service_level_s, q.service_level_target, args.shrinkage / 100))
    agents = args.agents or plan.agents
    rate, aht = interval.offered / 900.0, interval.aht_s
    if rate * aht >= agents:
        raise SystemExit(f"{rate * aht:.1f} erlangs need more than {agents} agents: the queue would grow without end")
    calls = args.calls or max(int(round(interval.offered)), 1)
    k = args.speed
    with tempfile.TemporaryDirectory(prefix="hotline-twin-") as tmp:
        path = os.path.join(tmp, "twin.yaml")
        with open(path, "w", encoding="utf-8") as out:
            yaml.safe_dump(scenario(agents, aht / k, rate * k, calls, args.seed), out)
        config = config.replace(recordings_dir=os.path.join(tmp, "recordings"), prompts_dir=os.path.join(tmp, "prompts"),
                                database_url=f"sqlite:///{os.path.join(tmp, 'twin.db')}")
        report = run_scenario(path, config, timeout_s=calls / (rate * k) + 30 * aht / k + 60, media_s=0.05)
    measured = compare(report, agents, aht / k, rate * k, q.service_level_s / k, warmup=min(args.warmup, calls // 4))
    expected = erlang.service_level(erlang.offered_load(rate, aht), agents, aht, q.service_level_s)
    return {"queue": args.queue, "day": str(args.day), "at": args.at, "forecast_calls": round(interval.offered, 1),
            "forecast_aht_s": round(aht, 1), "planned_agents": plan.agents, "agents": agents, "speed": k,
            "calls_replayed": measured["compared"], "service_level_s": q.service_level_s,
            "target": q.service_level_target, "erlang_c_service_level": round(expected, 4),
            "twin_service_level": measured["measured"]["service_level"],
            "twin_asa_s": round(measured["measured"]["asa_s"] * k, 2),
            "meets_target": measured["measured"]["service_level"] >= q.service_level_target}


def table(r: dict) -> str:
    verdict = "meets" if r["meets_target"] else "MISSES"
    return "\n".join([
        f"{r['queue']} on {r['day']} at {r['at']}: forecast {r['forecast_calls']} calls, handle time {r['forecast_aht_s']} s;"
        f" the plan puts {r['planned_agents']} agents on the phones (replayed with {r['agents']})",
        f"replayed {r['calls_replayed']} calls on the switch simulator and a real controller at {r['speed']}x speed",
        f"service level (answered within {r['service_level_s']:g} s): twin {r['twin_service_level']:.1%}, "
        f"Erlang C {r['erlang_c_service_level']:.1%}, target {r['target']:.0%}: the twin {verdict} the target",
        f"average speed of answer on the twin: {r['twin_asa_s']} s"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline workforce", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rp = sub.add_parser("replay", help="replay one planned interval on the switch simulator (the digital twin)")
    rp.add_argument("--queue", required=True)
    rp.add_argument("--day", type=date.fromisoformat, default=date.today() + timedelta(days=1), help="YYYY-MM-DD")
    rp.add_argument("--at", default="10:00", help="the interval's start, HH:MM (local time)")
    rp.add_argument("--agents", type=int, default=None, help="agents on the phones (default: the plan's)")
    rp.add_argument("--shrinkage", type=float, default=30.0, help="percent, as on the workforce page")
    rp.add_argument("--speed", type=float, default=20.0,
                    help="run this many times faster (same queueing; above ~20x the controller's latency shows)")
    rp.add_argument("--calls", type=int, default=None, help="calls to replay (default: the interval's forecast)")
    rp.add_argument("--warmup", type=int, default=10, help="first calls left out (the queue fills from empty)")
    rp.add_argument("--seed", type=int, default=1)
    rp.add_argument("--database-url", default=None, help="where the history is (default: the configured database)")
    rp.add_argument("--redis-url", default=None)
    rp.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.speed <= 0 or (args.agents is not None and args.agents < 1):
        parser.error("--speed must be above 0 and --agents at least 1")
    from gevent import monkey

    monkey.patch_all()   # no-op under `hotline`, which patches first
    result = replay(args)
    print(json.dumps(result) if args.json else table(result))
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())

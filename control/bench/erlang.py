"""``hotline bench erlang``: an M/M/c day through the simulator and a real controller, against Erlang C.

One queue, ``--agents`` identical agents whose phones answer at once (``answer_after: 0``) and talk
for exponential times of mean ``--aht``, Poisson arrivals of ``--rate`` per second (scenario
``arrivals:``), callers who never give up, no wrap-up. The run goes through ``simulator.runner.run``
(``hotline simulate --report json``): the real controller, Redis and the database over TCP.

Compared, over the calls after the warm-up (the first ``--warmup`` calls, placed while the queue
was still filling from empty, are dropped):
- measured ASA and service level (answered within ``--sl-s``, default the AHT) from the call records;
- Erlang C for the offered traffic (rate x AHT) and ``--agents``;
- the same calls through an ideal FCFS queue (``ideal_waits``): their real arrival times and talk
  times with zero dispatch delay. Measured minus ideal is what the controller and the simulator add;
  ideal minus Erlang C is the sampling spread of this many calls.
docs/benchmarks.md, "Erlang C agreement".
"""
from __future__ import annotations

import argparse
from collections import Counter
import heapq
import json
import os
import random
import statistics
import sys
import tempfile
import time

import yaml

from control.domain import erlang

DID = "+18005550150"
QUEUE = "erlang"


def scenario(agents: int, aht_s: float, rate_per_s: float, calls: int, seed: int) -> dict:
    return {
        "name": f"erlang-m-m-{agents}",
        "seed": seed,
        "defaults": {"did": DID, "patience": 100_000},    # nobody abandons
        "flows": {"dids": {"default": "straight"},
                  "straight": {"languages": ["en"], "prompts": {},
                               "nodes": {"q": {"type": "queue", "queue": QUEUE}}}},
        "queues": {QUEUE: {"strategy": "longest-idle-agent", "wrap_up_s": 0, "announce_every_s": 0,
                           "ring_timeout_s": 30}},
        "agents": [{"id": f"e{i:02d}", "extension": str(1500 + i), "answer_after": 0,
                    "talk_time": {"dist": "exponential", "mean": aht_s}, "wrap_up": 0}
                   for i in range(agents)],
        "arrivals": {"rate_per_s": rate_per_s, "count": calls, "seed": seed},
    }


def ideal_waits(arrivals: list[float], talks: list[float], agents: int) -> list[float]:
    """Waits of an ideal first-come-first-served queue with ``agents`` servers and no dispatch delay."""
    free, waits = [0.0] * agents, []
    for at, talk in sorted(zip(arrivals, talks)):
        start = max(at, heapq.heappop(free))
        waits.append(start - at)
        heapq.heappush(free, start + talk)
    return waits


def sampling_spread(agents: int, aht_s: float, rate_per_s: float, calls: int, warmup: int, sl_s: float,
                    runs: int = 200, seed: int = 1) -> dict:
    """How far from Erlang C an ideal M/M/c queue lands with this many calls, by chance alone:
    the standard deviation, in %, of ASA and service level over ``runs`` simulated days."""
    rng = random.Random(seed)
    traffic = erlang.offered_load(rate_per_s, aht_s)
    theory = {"asa_s": erlang.asa(traffic, agents, aht_s),
              "service_level": erlang.service_level(traffic, agents, aht_s, sl_s)}
    off: dict[str, list[float]] = {k: [] for k in theory}
    for _ in range(runs):
        arrivals, t = [], 0.0
        for _i in range(calls):
            t += rng.expovariate(rate_per_s)
            arrivals.append(t)
        talks = [rng.expovariate(1.0 / aht_s) for _i in range(calls)]
        day = figures(ideal_waits(arrivals, talks, agents)[warmup:], sl_s)
        for k in theory:
            off[k].append((day[k] - theory[k]) / theory[k] * 100.0)
    return {k: round(statistics.pstdev(v), 1) for k, v in off.items()}


def figures(waits: list[float], sl_s: float) -> dict:
    return {"asa_s": statistics.fmean(waits) if waits else 0.0,
            "service_level": sum(w <= sl_s for w in waits) / len(waits) if waits else 0.0}


def compare(report: dict, agents: int, aht_s: float, rate_per_s: float, sl_s: float, warmup: int) -> dict:
    """The report's calls (after ``warmup``) against Erlang C and against the ideal queue."""
    calls = sorted(report["calls"], key=lambda c: c["entered_at"] or 0.0)
    answered = [c for c in calls if c["outcome"] == "answered" and c["entered_at"] is not None]
    origin = answered[0]["entered_at"] if answered else 0.0
    ideal = ideal_waits([c["entered_at"] - origin for c in answered], [c["talk_s"] for c in answered], agents)
    kept = answered[warmup:]
    measured = figures([c["wait_s"] for c in kept], sl_s)
    same_calls = figures(ideal[warmup:], sl_s)
    traffic = erlang.offered_load(rate_per_s, aht_s)
    theory = {"asa_s": erlang.asa(traffic, agents, aht_s),
              "service_level": erlang.service_level(traffic, agents, aht_s, sl_s)}
    span = (kept[-1]["entered_at"] - kept[0]["entered_at"]) if len(kept) > 1 else 0.0
    talks = [c["talk_s"] for c in kept]
    return {
        "agents": agents, "aht_s": aht_s, "rate_per_s": rate_per_s, "traffic_erlangs": round(traffic, 3),
        "occupancy": round(traffic / agents, 3), "sl_s": sl_s,
        "calls": len(calls), "answered": len(answered), "warmup_dropped": min(warmup, len(answered)),
        "compared": len(kept), "not_answered": len(calls) - len(answered),
        "outcomes": dict(Counter(c["outcome"] for c in calls)),
        "measured_rate_per_s": round((len(kept) - 1) / span, 4) if span else None,
        "measured_aht_s": round(statistics.fmean(talks), 4) if talks else None,
        "measured": _rounded(measured), "erlang_c": _rounded(theory), "ideal_same_calls": _rounded(same_calls),
        "diff_pct": {k: _pct(measured[k], theory[k]) for k in measured},
        "ideal_diff_pct": {k: _pct(same_calls[k], theory[k]) for k in measured},
        "overhead_vs_ideal": {"asa_ms": round((measured["asa_s"] - same_calls["asa_s"]) * 1000, 1),
                              "service_level_points": round((measured["service_level"]
                                                             - same_calls["service_level"]) * 100, 2)},
        "dispatch_ms": delays(answered, ideal, warmup),
    }


def delays(answered: list[dict], ideal: list[float], warmup: int) -> dict:
    """Where the controller's time goes, per call after the warm-up:
    - ``free_agent``: queue entry to answer of calls that the ideal queue answers at once;
    - ``turnaround``: an agent's hangup to its next answer when that call was already waiting."""
    free = [c["wait_s"] for c, w in zip(answered[warmup:], ideal[warmup:]) if w == 0.0]
    turn: list[float] = []
    last_end: dict[str, float] = {}
    for c in sorted(answered, key=lambda c: c["answered_at"]):
        end = last_end.get(c["agent"])
        if end is not None and c["entered_at"] < end:
            turn.append(c["answered_at"] - end)
        last_end[c["agent"]] = c["answered_at"] + c["talk_s"]
    turn = turn[warmup:] if len(turn) > warmup else turn
    return {"free_agent_p50": _ms(free, 0.5), "free_agent_p95": _ms(free, 0.95),
            "turnaround_p50": _ms(turn, 0.5), "turnaround_p95": _ms(turn, 0.95),
            "turnaround_mean": round(statistics.fmean(turn) * 1000, 1) if turn else None}


def _ms(values: list[float], p: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1) if ordered else None


def _rounded(d: dict) -> dict:
    return {k: round(v, 4) for k, v in d.items()}


def _pct(value: float, reference: float) -> float:
    return round((value - reference) / reference * 100.0, 2) if reference else 0.0


def run(args) -> dict:
    from control.config import load_config
    from simulator.runner import run as run_scenario

    config = load_config()
    if args.database_url:
        config = config.replace(database_url=args.database_url)
    if args.redis_url:
        config = config.replace(redis_url=args.redis_url)
    with tempfile.TemporaryDirectory(prefix="hotline-erlang-") as tmp:
        path = os.path.join(tmp, "erlang.yaml")
        with open(path, "w", encoding="utf-8") as out:
            yaml.safe_dump(scenario(args.agents, args.aht, args.rate, args.calls, args.seed), out)
        config = config.replace(recordings_dir=os.path.join(tmp, "recordings"),
                                prompts_dir=os.path.join(tmp, "prompts"))
        started = time.monotonic()
        report = run_scenario(path, config, timeout_s=args.calls / args.rate + 30 * args.aht + 60,
                              media_s=args.media_s)
        wall = time.monotonic() - started
    if args.save_report:
        with open(args.save_report, "w", encoding="utf-8") as out:
            json.dump(report, out)
    result = compare(report, args.agents, args.aht, args.rate, args.sl_s or args.aht, args.warmup)
    result["sampling_sd_pct"] = sampling_spread(args.agents, args.aht, args.rate, result["answered"], args.warmup,
                                                result["sl_s"])
    result.update(seed=args.seed, run_s=round(wall, 1), cpus=os.cpu_count(), load_avg=_load())
    return result


def _load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def table(r: dict) -> str:
    lines = [f"Erlang C agreement: M/M/{r['agents']}, {r['traffic_erlangs']} erlangs (rate {r['rate_per_s']}/s x "
             f"AHT {r['aht_s']} s, occupancy {r['occupancy']}), service level = answered within {r['sl_s']} s",
             f"calls {r['calls']}, answered {r['answered']}, warm-up dropped {r['warmup_dropped']}, "
             f"compared {r['compared']}; measured rate {r['measured_rate_per_s']}/s, talk {r['measured_aht_s']} s",
             f"{'':<16}{'measured':>10}{'Erlang C':>10}{'diff %':>9}{'ideal queue':>13}{'ideal diff %':>14}"]
    for key, label in (("asa_s", "ASA (s)"), ("service_level", "service level")):
        lines.append(f"{label:<16}{r['measured'][key]:>10.3f}{r['erlang_c'][key]:>10.3f}{r['diff_pct'][key]:>9.1f}"
                     f"{r['ideal_same_calls'][key]:>13.3f}{r['ideal_diff_pct'][key]:>14.1f}")
    sd = r["sampling_sd_pct"]
    lines.append(f"sampling spread of {r['compared']} calls (1 sd of an ideal M/M/{r['agents']} queue around Erlang C):"
                 f" ASA ±{sd['asa_s']}%, service level ±{sd['service_level']}%")
    lines.append(f"controller + simulator over the ideal queue (same calls): ASA +{r['overhead_vs_ideal']['asa_ms']} ms,"
                 f" service level {r['overhead_vs_ideal']['service_level_points']:+} points")
    d = r["dispatch_ms"]
    lines.append(f"dispatch: queue entry to answer with a free agent p50 {d['free_agent_p50']} ms, p95 "
                 f"{d['free_agent_p95']} ms; agent hangup to next waiting call answered p50 {d['turnaround_p50']} ms,"
                 f" p95 {d['turnaround_p95']} ms")
    lines.append(f"run {r['run_s']} s, {r['cpus']} CPUs, load average {r['load_avg']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline bench erlang", description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--aht", type=float, default=3.0, help="mean talk time, seconds (exponential)")
    parser.add_argument("--rate", type=float, default=1.0, help="Poisson arrivals per second")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=50, help="first calls dropped (the queue fills from empty)")
    parser.add_argument("--sl-s", type=float, default=None, help="service-level threshold (default: the AHT)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tolerance", type=float, default=0.10,
                        help="exit 1 when ASA or service level differs from Erlang C by more (0.10 = 10%%)")
    parser.add_argument("--media-s", type=float, default=0.05)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--save-report", metavar="FILE", help="also write the scenario report (every call) here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.agents < 1 or args.aht <= 0 or args.rate <= 0 or args.calls <= args.warmup:
        parser.error("need --agents >= 1, --aht > 0, --rate > 0 and --calls above --warmup")
    if args.rate * args.aht >= args.agents:
        parser.error(f"{args.rate * args.aht:.2f} erlangs need more than {args.agents} agents (Erlang C is infinite)")
    from gevent import monkey

    monkey.patch_all()   # no-op under `hotline`, which patches first
    result = run(args)
    print(json.dumps(result) if args.json else table(result))
    problems = verdict(result, args.tolerance)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def verdict(r: dict, tolerance: float) -> list[str]:
    """What is off: the controller and simulator may add at most ``tolerance`` of Erlang C's figure to
    the ideal queue of the same calls; measured against Erlang C, the difference must be within
    ``tolerance`` or, when the calls are too few for that, two sampling standard deviations."""
    problems = []
    added = {"asa_s": r["measured"]["asa_s"] - r["ideal_same_calls"]["asa_s"],
             "service_level": r["measured"]["service_level"] - r["ideal_same_calls"]["service_level"]}
    for key, value in added.items():
        share = abs(value) / r["erlang_c"][key] * 100.0 if r["erlang_c"][key] else 0.0
        if share > tolerance * 100:
            problems.append(f"{key}: the controller and simulator move it {share:.1f}% of Erlang C away from the "
                            f"ideal queue of the same calls (allowed {tolerance:.0%})")
        band = max(tolerance * 100, 2 * r["sampling_sd_pct"][key])
        if abs(r["diff_pct"][key]) > band:
            problems.append(f"{key}: {r['diff_pct'][key]:+.1f}% from Erlang C, outside ±{band:.1f}%")
    return problems

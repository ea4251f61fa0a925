"""Calls benchmark: the switch simulator drives the real controller at a rising call rate.

The controller runs as its own process (``hotline controller --login-all``), so its CPU and RSS are
measured with psutil; Redis is the configured one (a throw-away key prefix, deleted afterwards) and
the database is a temporary SQLite file unless ``--database-url`` is given. The flow goes straight
to one queue; many agents with long talk times build concurrency. Per step it prints the offered
and sustained calls/s, concurrent calls, controller CPU and RSS, memory per call, call-setup
latency (simulator's TCP connect -> the controller's first ``answer``), lost calls (no outcome),
the simulator's CPU and the controllers' CPU milliseconds per call set up (1,000 / that = the calls/s
one core could carry if the controller had it to itself).

    hotline bench calls [--rates 50,100,200,300] [--step-s 15] [--talk-s 30] [--controllers 1] [--json]

``--hold CPS`` replaces the rise with one long step at CPS calls/s (``--step-s``, e.g. 130) whose calls
talk ``--talk-s`` (e.g. 150), so concurrency climbs to about CPS x step-s; a line every
``--sample-s`` shows concurrent calls, controller RSS and memory per call as it climbs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence, cast

import gevent

from control.bench.switch_cpu import SwitchCpu
from control.store.keys import Keys

QUEUES_YAML = """queues:
  bench:
    strategy: longest-idle-agent
    ring_timeout_s: 10
    wrap_up_s: 1
    announce_every_s: 0
    record: false
"""
FLOW_YAML = "name: straight\nlanguages: [en]\nnodes:\n  q: {type: queue, queue: bench}\n"


def pct(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the rig ----------------------------------------------------------------------------------
class Rig:
    """Config files, database with agents, the simulator (this process) and controller processes."""

    def __init__(self, agents: int, controllers: int, database_url: str | None, redis_url: str,
                 controller_args: Sequence[str] = (), probe_s: float = 0.0, command_latency: str = ""):
        from control.config import load_config
        from simulator.latency import DEFAULT_LATENCY, CommandLatency
        from simulator.switch import Switch

        self.tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-"))
        self.prefix = f"hotline-bench-{uuid.uuid4().hex[:8]}"
        self.redis_url = redis_url or load_config().redis_url
        from control.bench.worker import throwaway_database

        # a PostgreSQL server URL gets a database of the bench's own, dropped at the end
        self.database_url, self._drop_database, _ = throwaway_database(database_url, self.tmp)
        (self.tmp / "queues").mkdir()
        (self.tmp / "flows").mkdir()
        (self.tmp / "queues" / "bench.yaml").write_text(QUEUES_YAML)
        (self.tmp / "flows" / "straight.yaml").write_text(FLOW_YAML)
        (self.tmp / "flows" / "dids.yaml").write_text("default: straight\n")
        self._seed_agents(agents)
        self.ports = [free_port() for _ in range(controllers)]
        # how long the simulated switch takes per Event Socket command (simulator/latency.py)
        latency = CommandLatency.parse(command_latency) if command_latency else DEFAULT_LATENCY
        self.switch = Switch(controller=("127.0.0.1", self.ports[0]), esl_listen=("127.0.0.1", 0), media_s=0.05,
                             command_latency=latency)
        self.switch.start()
        self.extensions = [str(100000 + i) for i in range(agents)]
        self.controller_args = list(controller_args)
        self.probe_s = probe_s   # > 0: run control.bench.probe, which logs internals every probe_s
        self.procs: list[subprocess.Popen] = []
        self.env: dict[str, str] = {}   # more settings for the controllers (control/bench/nodes.py)

    def _seed_agents(self, count: int) -> None:
        from sqlalchemy import insert

        from records.db import session_factory
        from records.migrate import ensure_schema
        from records.models import Agent

        ensure_schema(self.database_url)
        rows = [{"id": f"b{i}", "name": f"b{i}", "extension": str(100000 + i), "sip_password": "x",
                 "wrap_up_s": 1, "queues": ["bench"], "position": i} for i in range(count)]
        with session_factory(self.database_url)() as session:
            session.execute(insert(Agent), rows)
            session.commit()

    def add_phones(self, answer_after: float, talk_s: float) -> None:
        for ext in self.extensions:
            self.switch.add_phone(ext, answer_after=answer_after, talk_time=talk_s)

    def start_controllers(self, timeout: float = 60.0) -> list:
        import psutil

        for port in self.ports:
            env = {**os.environ, "HOTLINE_DATABASE_URL": self.database_url, "HOTLINE_REDIS_URL": self.redis_url,
                   "HOTLINE_REDIS_PREFIX": self.prefix, "HOTLINE_OUTBOUND_PORT": str(port),
                   "HOTLINE_ESL_PORT": str(self.switch.esl_port), "HOTLINE_QUEUES_DIR": str(self.tmp / "queues"),
                   "HOTLINE_FLOWS_DIR": str(self.tmp / "flows"), "HOTLINE_WRAP_UP_S": "1",
                   "HOTLINE_RQ_QUEUE": f"{self.prefix}-wrapup",
                   "HOTLINE_RECORDS_SPOOL": str(self.tmp / f"spool-{port}.jsonl"),
                   "HOTLINE_DEMO_MODE": "1", **self.env}   # a bench rig: demo secrets and users (control/production.py)
            entry = ["control.cli", "controller"]
            if self.probe_s:
                env["HOTLINE_PROBE_S"] = str(self.probe_s)
                entry = ["control.bench.probe"]
            with open(self.tmp / f"controller-{port}.log", "wb") as log:
                self.procs.append(subprocess.Popen(
                    [sys.executable, "-m", *entry, "--login-all", "--log-level", "WARNING",
                     *self.controller_args], env=env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + timeout
        while len(self.switch.inbound_sessions) < len(self.ports) or not self._agents_ready():
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"controllers did not start; see {self.tmp}")
            gevent.sleep(0.2)
        return [psutil.Process(p.pid) for p in self.procs]

    def _agents_ready(self) -> bool:
        import redis

        client = redis.Redis.from_url(self.redis_url)
        try:
            return cast(int, client.scard(Keys(self.prefix).agents())) >= len(self.extensions)
        finally:
            client.close()

    def close(self, keep: bool = False) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.switch.stop()
        _drop_prefix(self.redis_url, self.prefix)
        self._drop_database()
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _drop_prefix(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for pattern in (f"{prefix}:*", f"rq:*{prefix}*"):
        batch = []
        for key in client.scan_iter(match=pattern, count=5000):
            batch.append(key)
            if len(batch) >= 5000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
    client.close()


# -- one step --------------------------------------------------------------------------------
@dataclass
class Step:
    rate: float
    placed: list = field(default_factory=list)
    started: float = 0.0
    seconds: float = 0.0
    peak_concurrent: int = 0
    cpu: float = 0.0
    rss_mb: float = 0.0
    sim_cpu: float = 0.0


def place_calls(rig: Rig, step: Step, seconds: float) -> None:
    """Place calls at ``step.rate`` per second for ``seconds``, round-robin over the controllers."""
    step.started = time.monotonic()
    interval, n = 1.0 / step.rate, 0
    while True:
        due = step.started + n * interval
        now = time.monotonic()
        if now - step.started >= seconds:
            break
        if due > now:
            gevent.sleep(due - now)
        port = rig.ports[n % len(rig.ports)]
        step.placed.append(rig.switch.place_call(caller=f"+1415{n % 10_000_000:07d}", did="+18005550100",
                                                 controller=("127.0.0.1", port)))
        n += 1
    step.seconds = time.monotonic() - step.started


class Stats:
    def __init__(self, procs: list):
        import psutil

        self.procs, self.me = procs, psutil.Process()

    def begin(self) -> None:
        for proc in self.procs:
            proc.cpu_percent(None)
        self.me.cpu_percent(None)

    def end(self, step: Step) -> None:
        step.cpu = sum(p.cpu_percent(None) for p in self.procs)
        step.rss_mb = sum(p.memory_info().rss for p in self.procs) / 2**20
        step.sim_cpu = self.me.cpu_percent(None)


def concurrent(rig: Rig) -> int:
    return sum(1 for ch in rig.switch.channels() if ch.direction == "inbound" and ch.bridged)


def run(args) -> dict:
    import psutil  # noqa: F401  (fail early when missing)

    from control.procs import raise_open_files

    rates = [args.hold] if args.hold else [float(r) for r in args.rates.split(",")]
    # the simulator in this process holds a socket per call leg towards the controller(s)
    raise_open_files(args.agents + int(max(rates) * args.step_s) + 1000, name="hotline bench calls")
    rig = Rig(args.agents, args.controllers, args.database_url, args.redis_url, args.controller_arg or [],
              probe_s=args.probe_s, command_latency=args.command_latency)
    rig.add_phones(answer_after=args.answer_ms / 1000, talk_s=args.talk_s)
    steps: list[dict] = []
    burner = SwitchCpu(args.switch_cpu_ms)
    try:
        procs = rig.start_controllers(timeout=60 + 0.02 * args.agents)   # --login-all: every agent
        gevent.sleep(1.0)
        baseline_rss = sum(p.memory_info().rss for p in procs) / 2**20
        stats = Stats(procs)
        out = sys.stderr if args.json else sys.stdout
        print(f"{'offered':>8} {'sustained':>9} {'concurrent':>10} {'ctl CPU%':>8} {'ctl RSS MB':>10} "
              f"{'KB/call':>8} {'setup p50':>9} {'p99 ms':>7} {'dispatch p50':>12} {'p99 ms':>7} {'lost':>5} "
              f"{'sim CPU%':>8} {'ctl ms/call':>11}",
              file=out)
        for rate in rates:
            step = Step(rate)
            burner.set_rate(rate)
            stats.begin()
            peak = gevent.spawn(_watch_peak, rig, step)
            sampler = gevent.spawn(_hold_samples, rig, step, procs, baseline_rss, args.sample_s, out) \
                if args.hold else None
            place_calls(rig, step, args.step_s)
            # a call counts as set up once bridged; give the tail of the step a moment
            deadline = time.monotonic() + args.grace_s
            while time.monotonic() < deadline and not all(h.bridged_at or h.done.ready() for h in step.placed):
                gevent.sleep(0.1)
            stats.end(step)
            peak.kill()
            if sampler is not None:
                sampler.kill()
            steps.append(_summary(step, rig, baseline_rss))
            s = steps[-1]
            print(f"{s['offered_cps']:>8.1f} {s['sustained_cps']:>9.1f} {s['concurrent']:>10} {s['cpu']:>8.0f} "
                  f"{s['rss_mb']:>10.0f} {s['mem_per_call_kb']:>8.1f} {s['setup_p50_ms']:>9.1f} "
                  f"{s['setup_p99_ms']:>7.1f} {s['dispatch_p50_ms']:>12.1f} {s['dispatch_p99_ms']:>7.1f} "
                  f"{s['lost']:>5} {s['sim_cpu']:>8.0f} {s['cpu_ms_per_call']:>11.1f}",
                  file=out, flush=True)
            past_knee = s["lost"] or s["sustained_cps"] < 0.95 * s["offered_cps"] or s["setup_p99_ms"] > args.max_p99_ms
            if past_knee and not args.all_steps:
                break   # stop rising
        # every call ends on its own (talk time); wait for the last ones, count the ones that never did
        deadline = time.monotonic() + args.talk_s + 20
        every = [h for step in steps for h in step["_handles"]]
        while time.monotonic() < deadline and not all(h.done.ready() for h in every):
            gevent.sleep(0.5)
        unfinished = sum(1 for h in every if not h.done.ready())
        # never bridged: still queued (routing); bridged: talking past the wait (set up late)
        stuck: dict[str, Any] = {"never_bridged": sum(1 for h in every if not h.done.ready() and not h.bridged_at),
                 "bridged": sum(1 for h in every if not h.done.ready() and h.bridged_at)}
        if unfinished:
            stuck["calls"] = [_stuck_call(rig, h) for h in every if not h.done.ready()][:5]
    finally:
        burner.stop()
        rig.close(keep=args.keep)
    good = [s for s in steps if not s["lost"] and s["sustained_cps"] >= 0.95 * s["offered_cps"]
            and s["setup_p99_ms"] <= args.max_p99_ms]
    best = max(good, key=lambda s: s["offered_cps"]) if good else None
    return {"max_cps": best["sustained_cps"] if best else 0.0,
            "max_concurrent": max((s["concurrent"] for s in steps), default=0),
            "mem_per_call_kb": max((s["mem_per_call_kb"] for s in steps), default=0.0),
            "setup_p99_ms": best["setup_p99_ms"] if best else None,
            "lost": sum(s["lost"] for s in steps) + unfinished,
            "controllers": args.controllers, "unfinished": stuck if unfinished else {}, "redis_prefix": rig.prefix,
            "steps": [{k: v for k, v in s.items() if not k.startswith("_")} for s in steps]}


def _stuck_call(rig: Rig, handle) -> dict:
    """What a call that never finished looks like: on the switch, in live state, in its offer log."""
    import redis

    from control.store.call_log import CallLog

    client = redis.Redis.from_url(rig.redis_url, decode_responses=True)
    try:
        live = cast(dict, client.hgetall(Keys(rig.prefix).call(handle.uuid)))
        log_of = {kind: CallLog(client, rig.prefix).read(handle.uuid, kind) for kind in ("offers", "explanations")}
    finally:
        client.close()
    ch = handle.channel
    return {"uuid": handle.uuid, "bridged_at": handle.bridged_at, "app": ch.vars.get("current_application"),
            "bridged": bool(getattr(ch, "bridged", None)), "hungup": ch.hungup.is_set() if hasattr(ch, "hungup") else None,
            "live": {k: v for k, v in live.items() if k != "d"}, **log_of}


def _watch_peak(rig: Rig, step: Step) -> None:
    while True:
        step.peak_concurrent = max(step.peak_concurrent, concurrent(rig))
        gevent.sleep(0.5)


def _hold_samples(rig: Rig, step: Step, procs: list, baseline_rss: float, every_s: float, out) -> None:
    """Progress of a hold step: concurrency climbing, and what it costs the controller(s)."""
    while True:
        gevent.sleep(every_s)
        now = concurrent(rig)
        rss = sum(p.memory_info().rss for p in procs) / 2**20
        per_call = max(0.0, rss - baseline_rss) * 1024 / now if now else 0.0
        print(f"  t={time.monotonic() - step.started:>5.0f}s placed={len(step.placed)} concurrent={now} "
              f"ctl RSS={rss:.0f} MB ({per_call:.0f} KB/call) channels={len(rig.switch.channels())}",
              file=out, flush=True)


def _summary(step: Step, rig: Rig, baseline_rss: float) -> dict:
    handles = step.placed
    bridged = [h for h in handles if h.bridged_at]
    setups = [h.channel.setup_s * 1000 for h in handles if h.channel.setup_s is not None]
    # as the real-switch bench reads it from SIP: the caller answered -> the agent's leg created
    dispatches = [(h.offered_us - h.channel.answered_us) / 1000 for h in handles
                  if h.offered_us and h.channel.answered_us]
    # lost: ended without ever reaching an agent (patience is unlimited, so only a fault ends them)
    lost_handles = [h for h in handles if h.done.ready() and not h.bridged_at]
    lost = len(lost_handles)
    causes: dict[str, int] = {}
    for h in lost_handles:
        key = f"{h.channel.hangup_cause}/{h.channel.hangup_by}"
        causes[key] = causes.get(key, 0) + 1
    peak = max(step.peak_concurrent, concurrent(rig))
    window = step.seconds
    return {"offered_cps": round(len(handles) / step.seconds, 1),
            "sustained_cps": round(len(bridged) / window, 1) if window else 0.0,
            "concurrent": peak, "cpu": round(step.cpu, 1), "rss_mb": round(step.rss_mb, 1),
            "mem_per_call_kb": round(max(0.0, step.rss_mb - baseline_rss) * 1024 / peak, 1) if peak else 0.0,
            "setup_p50_ms": round(pct(setups, 0.50), 1), "setup_p99_ms": round(pct(setups, 0.99), 1),
            "dispatch_p50_ms": round(pct(dispatches, 0.50), 1), "dispatch_p99_ms": round(pct(dispatches, 0.99), 1),
            "lost": lost, "lost_causes": causes, "late": len(handles) - len(bridged) - lost, "sim_cpu": round(step.sim_cpu, 1),
            # controller CPU time per call set up (every controller's): what one core's calls/s follows from
            "cpu_ms_per_call": round(step.cpu * 10 / (len(bridged) / window), 2) if bridged and window else 0.0,
            "_handles": handles}


def main(argv: list[str]) -> int:
    switch = argparse.ArgumentParser(add_help=False)
    switch.add_argument("--switch", choices=("simulator", "freeswitch"), default="simulator")
    chosen, _ = switch.parse_known_args(argv)
    if chosen.switch == "freeswitch":   # the real switch with SIPp: control/bench/fscalls.py
        from control.bench import fscalls

        return fscalls.main(argv)
    parser = argparse.ArgumentParser(prog="hotline bench calls", description=__doc__.split("\n\n")[0])
    parser.add_argument("--switch", choices=("simulator", "freeswitch"), default="simulator",
                        help="freeswitch: a real FreeSWITCH driven by SIPp (control/bench/fscalls.py; its own options)")
    parser.add_argument("--rates", default="50,100,150,200,250,300,400", help="calls/s per step, rising")
    parser.add_argument("--step-s", type=float, default=15.0, help="seconds per step")
    parser.add_argument("--grace-s", type=float, default=3.0, help="after a step, wait this long for set-ups")
    parser.add_argument("--talk-s", type=float, default=40.0, help="agent talk time (builds concurrency)")
    parser.add_argument("--answer-ms", type=float, default=50.0, help="an agent's phone answers after this")
    parser.add_argument("--all-steps", action="store_true", help="run every step, past the knee too")
    parser.add_argument("--switch-cpu-ms", type=float, default=0.0,
                        help="also burn the CPU a real FreeSWITCH takes per call (about 75 on FreeSWITCH 1.11.2, "
                             "docs/benchmarks.md), at raised priority, on the same cores (control/bench/switch_cpu.py)")
    parser.add_argument("--agents", type=int, default=8000)
    parser.add_argument("--controllers", type=int, default=1)
    parser.add_argument("--max-p99-ms", type=float, default=50.0, help="a step with a worse setup p99 ends the rise")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a throw-away database is made on it); "
                        "default: a temporary SQLite file")
    parser.add_argument("--redis-url", default="", help="default: the configured redis_url")
    parser.add_argument("--controller-arg", action="append", help="extra argument for `hotline controller`")
    parser.add_argument("--command-latency", default="",
                        help="simulated seconds per Event Socket command, e.g. 0.0002,show=0.018,uuid_record=0.01 "
                             "(default: as measured on FreeSWITCH 1.11.2, simulator/latency.py; 0 = instant)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (controller logs)")
    parser.add_argument("--probe-s", type=float, default=0.0,
                        help="log controller internals every N s into its log (control/bench/probe.py)")
    parser.add_argument("--hold", type=float, default=0.0,
                        help="one long step at this rate instead of the rise (concurrency test)")
    parser.add_argument("--sample-s", type=float, default=10.0, help="with --hold: a progress line every N s")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command_latency:
        from simulator.latency import CommandLatency

        try:
            CommandLatency.parse(args.command_latency)
        except ValueError as exc:
            parser.error(f"--command-latency: {exc}")
    result = run(args)
    if args.json:
        print(json.dumps({k: result[k] for k in ("max_cps", "max_concurrent", "mem_per_call_kb",
                                                 "setup_p99_ms", "lost")}))
    else:
        print(json.dumps(result))
    return 0

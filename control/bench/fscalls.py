"""``hotline bench calls --switch freeswitch``: the calls benchmark on a real FreeSWITCH with SIPp.

FreeSWITCH (``--freeswitch`` or HOTLINE_FREESWITCH_BIN; never a path in the repository) boots on
the shipped freeswitch-conf/ (control/bench/fsboot.py). A throw-away database (PostgreSQL when
``--database-url`` or HOTLINE_TEST_PG_URL names a server, else SQLite) gets N agents in one queue
(longest idle agent, wrap_up_s 0) behind a one-node flow; ``hotline render-fs`` writes their SIP
accounts; ``hotline controller --login-all`` (and ``hotline worker``, as deployed, unless
``--no-worker``) run against it. SIPp (control/bench/sipp_load.py) registers every agent's phone
in one run, answers for all of them (after ``--answer-ms``, talks ``--talk-s``, the agent hangs
up), and calls from the trunk address 127.0.0.2 at rising rates. ``--peer mod_callcenter`` runs
the same load against FreeSWITCH's own mod_callcenter (control/bench/ccpeer.py) on the same binary
and prints the ratio.

Per step: dispatch latency p50/p99 (caller's 200 OK -> the agent's INVITE, from the SIPp logs,
matched by the caller number in the agent INVITE's From), calls placed / dispatched / failed
(never reached an agent, or only after the caller's ``--patience-s``), CPU ms per dispatched call of
FreeSWITCH, controller, worker, Redis and the database's backends (/proc/<pid>/stat, from the
step's start until its calls are gone), the most channels open (``show channels count`` each
second), agents not back to available and calls without a record once the step has drained; also
how soon callers are answered (their INVITE -> 200 OK, p50 and p99: the "answer" columns).

    hotline bench calls --switch freeswitch [--agents 300] [--rates 2,5,10,15,20,30,40] [--step-s 20]
                        [--peer mod_callcenter] [--peer-first | --only-peer] [--no-worker] [--no-media]
                        [--freeswitch-priority normal] [--database-url postgresql://...]
                        [--controller-log-level INFO] [--keep] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, cast

from control.bench.fsboot import RealSwitch, boot, free_port, launch, stop, write_tone
from control.bench.sipp import Sipp, sipp_binary
from control.bench.sipp_load import Agents, Callers, answered_at, invite_sent_at, invited_at
from control.bench.worker import throwaway_database

TRUNK_IP = "127.0.0.2"
DID = "+18005550100"
FIRST_EXTENSION = 20000
QUEUES_YAML = """queues:
  bench:
    strategy: longest-idle-agent
    ring_timeout_s: 10
    wrap_up_s: 0
    announce_every_s: 0
    record: false
"""
FLOW_YAML = "name: straight\nlanguages: [en]\nnodes:\n  q: {type: queue, queue: bench}\n"
TICKS = os.sysconf("SC_CLK_TCK")


def pct(samples: list[float], p: float) -> float | None:
    if not samples:
        return None
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """utime + stime (+ the waited-for children's) of a process, in seconds; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return sum(int(v) for v in fields[11:15]) / TICKS


# -- what a system under test offers the load ----------------------------------------------------------
@dataclass
class System:
    name: str
    fs: RealSwitch
    pids: Callable[[], dict[str, list[int]]]          # role -> processes whose CPU counts
    stuck_agents: Callable[[], int]
    records: Callable[[], int | None]                  # call records written so far (None: no such thing)
    closers: list[Callable[[], None]] = field(default_factory=list)
    stuck_states: dict[str, int] = field(default_factory=dict)   # agents not available at the last count, by state

    def close(self) -> None:
        for closer in reversed(self.closers):
            try:
                closer()
            except Exception as exc:   # noqa: BLE001 - tearing down: keep closing the rest
                print(f"hotline bench calls: while closing {self.name}: {exc}", file=sys.stderr)


def _phones(count: int) -> list[tuple[str, str]]:
    return [(str(FIRST_EXTENSION + i), secrets.token_hex(8)) for i in range(count)]


def _seed(database_url: str, phones: list[tuple[str, str]]) -> None:
    from sqlalchemy import insert

    from records.db import session_factory
    from records.migrate import ensure_schema
    from records.models import Agent

    ensure_schema(database_url)
    rows = [{"id": f"a{ext}", "name": f"Agent {ext}", "extension": ext, "sip_password": password, "wrap_up_s": 0,
             "queues": ["bench"], "position": n} for n, (ext, password) in enumerate(phones)]
    with session_factory(database_url)() as session:
        session.execute(insert(Agent), rows)
        session.commit()


def _count_records(database_url: str) -> int:
    from sqlalchemy import func, select

    from records.db import session_factory
    from records.models import Call

    with session_factory(database_url)() as session:
        return int(session.scalar(select(func.count()).select_from(Call)) or 0)


def _pg_backends(database_url: str, name: str) -> list[int]:
    from sqlalchemy import text

    from records.db import session_factory

    with session_factory(database_url)() as session:
        return [int(pid) for pid in session.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name}).scalars()]


def hotline(binary: str, tmp: Path, phones: list[tuple[str, str]], args) -> System:
    import redis

    from control.config import load_config
    from control.store.keys import Keys

    redis_url = args.redis_url or load_config().redis_url
    prefix = f"hotline-fsbench-{uuid.uuid4().hex[:8]}"
    fs = boot(binary, tmp / "fs", site={"HOTLINE_TRUNK_CIDRS": f"{TRUNK_IP}/32"}, options=_fs_options(args))
    system = System("hotline", fs, pids=lambda: {}, stuck_agents=lambda: 0, records=lambda: 0,
                    closers=[lambda: stop(fs.proc)])
    try:
        database_url, drop, pg_name = throwaway_database(args.database_url or os.environ.get("HOTLINE_TEST_PG_URL"),
                                                          tmp)
        system.closers.append(drop)
        _seed(database_url, phones)
        for name, text in (("queues/bench.yaml", QUEUES_YAML), ("flows/straight.yaml", FLOW_YAML),
                           ("flows/dids.yaml", "default: straight\n")):
            (tmp / name).parent.mkdir(exist_ok=True)
            (tmp / name).write_text(text)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")},
               "HOTLINE_DATABASE_URL": database_url, "HOTLINE_REDIS_URL": redis_url, "HOTLINE_REDIS_PREFIX": prefix,
               "HOTLINE_FLOWS_DIR": str(tmp / "flows"), "HOTLINE_QUEUES_DIR": str(tmp / "queues"),
               "HOTLINE_PROMPTS_DIR": str(tmp / "prompts"), "HOTLINE_RECORDINGS_DIR": str(fs.recordings),
               "HOTLINE_ESL_PORT": str(fs.esl_port), "HOTLINE_ESL_PASSWORD": fs.password,
               "HOTLINE_OUTBOUND_PORT": str(fs.controller_port), "HOTLINE_SIP_DOMAIN": fs.domain,
               "HOTLINE_RECORDS_SPOOL": str(tmp / "spool.jsonl"), "HOTLINE_WRAP_UP_S": "0",
               "HOTLINE_RQ_QUEUE": f"{prefix}-wrapup", "HOTLINE_SMS_PROVIDER": "log",
               "HOTLINE_WORKER_METRICS_PORT": "0", "HOTLINE_METRICS_PORT": "0", "HOTLINE_ARCHIVE_DIR": str(tmp / "archive")}
        rendered = subprocess.run([sys.executable, "-m", "control.cli", "render-fs", "--conf-dir", str(fs.conf)],
                                  env=env, capture_output=True, text=True, timeout=120)
        if rendered.returncode != 0 or "reloadxml: +OK" not in rendered.stdout:
            raise RuntimeError(f"hotline render-fs failed: {rendered.stdout[-1000:]}{rendered.stderr[-1000:]}")
        with open(tmp / "controller.log", "ab") as log:   # up once every agent is logged in (below)
            controller = subprocess.Popen([sys.executable, "-m", "control.cli", "controller", "--login-all",
                                           "--log-level", args.controller_log_level], env={**env, "HOTLINE_DEMO_MODE": "1"},
                                          stdout=log, stderr=subprocess.STDOUT)
        system.closers.append(lambda: stop(controller))
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        keys = Keys(prefix)
        system.closers.append(lambda: _drop_prefix(client, prefix))
        deadline = time.monotonic() + 60
        while int(client.scard(keys.agents())) < len(phones):   # type: ignore[arg-type]
            if time.monotonic() > deadline or controller.poll() is not None:
                raise RuntimeError(f"the controller did not log the agents in; see {tmp / 'controller.log'}")
            time.sleep(0.3)
        worker = None
        if not args.no_worker:
            from control.bench.worker import start_worker

            worker = start_worker(env, tmp / "worker.log")
            system.closers.append(lambda: stop(worker))
        redis_pid = int(cast(dict, client.info("server"))["process_id"])
        fs_pid = cast(subprocess.Popen, fs.proc).pid

        def pids() -> dict[str, list[int]]:
            found = {"freeswitch": [fs_pid], "controller": [controller.pid], "redis": [redis_pid]}
            if worker is not None:
                found["worker"] = [worker.pid]
            if pg_name:
                found["database"] = _pg_backends(database_url, pg_name)
            return found

        def stuck() -> int:
            pipe = client.pipeline()
            for ext, _ in phones:
                pipe.hget(keys.agent(f"a{ext}"), "state")
            states = Counter(state for state in pipe.execute() if state != "available")
            if states:
                system.stuck_states = dict(states)
            return sum(states.values())

        system.pids, system.stuck_agents = pids, stuck
        system.records = lambda: _count_records(database_url)
        return system
    except BaseException:
        system.close()
        raise


def _drop_prefix(client, prefix: str) -> None:
    for pattern in (f"{prefix}:*", f"rq:*{prefix}*"):
        keys = list(client.scan_iter(match=pattern, count=5000))
        for n in range(0, len(keys), 5000):
            client.delete(*keys[n:n + 5000])
    client.close()


def _fs_options(args) -> tuple[str, ...]:
    return ("-np",) if args.freeswitch_priority == "normal" else ()


def mod_callcenter(binary: str, tmp: Path, phones: list[tuple[str, str]], args) -> System:
    from control.bench import ccpeer

    base = tmp / "fs"
    base.mkdir(parents=True)
    switch = RealSwitch(proc=None, base=base, esl_port=free_port(), password="bench-secret", sip_port=free_port(),
                        controller_port=0)
    write_tone(base / "moh" / "tones.wav", seconds=2.0)
    conf = base / "conf"
    conf.mkdir()
    (conf / "freeswitch.xml").write_text(ccpeer.render(
        domain=switch.domain, sip_port=switch.sip_port, esl_port=switch.esl_port, esl_password=switch.password,
        trunk_cidr=f"{TRUNK_IP}/32", moh_dir=base / "moh", phones=phones))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    launch(binary, switch, conf, env, options=_fs_options(args))
    fs_pid = cast(subprocess.Popen, switch.proc).pid
    return System("mod_callcenter", switch, pids=lambda: {"freeswitch": [fs_pid]},
                  stuck_agents=lambda: ccpeer.stuck_agents(switch.api("callcenter_config agent list")),
                  records=lambda: None, closers=[lambda: stop(switch.proc)])


# -- the steps ---------------------------------------------------------------------------------------------
class Watch:
    """Each second: channels open and the processes' CPU (processes that come and go, such as the
    database's backends, count from when they are first seen)."""

    def __init__(self, system: System):
        self.system, self.max_channels = system, 0
        self.first: dict[tuple[str, int], float] = {}
        self.last: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        for role, pids in self.system.pids().items():
            for pid in pids:
                value = cpu_seconds(pid)
                if value:
                    self.first.setdefault((role, pid), value)
                    self.last[(role, pid)] = value

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._sample()
                count = self.system.fs.api("show channels count").strip().split()
                self.max_channels = max(self.max_channels, int(count[0]) if count and count[0].isdigit() else 0)
            except Exception:   # noqa: BLE001 - a busy switch: try again next second
                pass
            self._stop.wait(1.0)

    def finish(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(5)
        self._sample()
        spent: dict[str, float] = {}
        for (role, pid), value in self.last.items():
            spent[role] = spent.get(role, 0.0) + value - self.first[(role, pid)]
        return spent


def channels(system: System) -> int:
    try:
        count = system.fs.api("show channels count").strip().split()
        return int(count[0]) if count and count[0].isdigit() else -1
    except OSError:
        return -1


def run_step(system: System, sipp: Sipp, agents: Agents, rate: float, index: int, args) -> dict:
    count = max(1, int(round(rate * args.step_s)))
    prefix = f"+1415{index:02d}9"
    watch = Watch(system)
    records_before = system.records()
    callers = Callers.start(sipp, DID, rate, count, prefix, patience_ms=int(args.patience_s * 1000), ip=TRUNK_IP,
                            echo=not args.no_media)
    callers.wait(timeout=args.step_s + args.patience_s + args.talk_s + 60)
    deadline = time.monotonic() + args.talk_s + 30      # the last agents finish talking
    while channels(system) > 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(args.settle_s)                            # the controller's records and states settle
    spent = watch.finish()
    answered = answered_at(callers.log)
    invited = invited_at(agents.log)
    numbers = callers.numbers()
    dispatch = [(invited[n] - answered[n]) * 1000 for n in numbers if n in invited and n in answered]
    dispatched = sum(1 for n in numbers if n in invited)
    sent = invite_sent_at(callers.log)
    answer = [(answered[n] - sent[n]) * 1000 for n in numbers if n in answered and n in sent]
    # reached an agent only after the caller's patience: SIPp itself was late (a starved machine)
    late = sum(1 for ms in dispatch if ms > args.patience_s * 1000)
    settled_s, records_after, stuck = _settle(system, records_before, count, args.records_wait_s)
    cpu = {role: round(1000 * seconds / dispatched, 2) if dispatched else None for role, seconds in spent.items()}
    return {"rate": rate, "placed": count, "answered": sum(1 for n in numbers if n in answered),
            "dispatched": dispatched, "late": late, "failed": count - dispatched + late,
            "dispatch_p50_ms": _round(pct(dispatch, 0.50)), "dispatch_p99_ms": _round(pct(dispatch, 0.99)),
            "dispatch_max_ms": _round(max(dispatch) if dispatch else None),
            # the caller's INVITE -> its 200 OK: how long the switch (and controller) take to answer
            "answer_p50_ms": _round(pct(answer, 0.50)), "answer_p99_ms": _round(pct(answer, 0.99)),
            "cpu_ms_per_call": cpu, "cpu_ms_per_call_total": round(sum(v for v in cpu.values() if v), 2),
            "max_channels": watch.max_channels, "stuck_agents": stuck, "settled_s": settled_s,
            "stuck_states": dict(system.stuck_states) if stuck else {},
            "load_avg_1m": round(os.getloadavg()[0], 1),   # the machine's, others' work included: noise
            "missing_records": (count - (records_after - records_before))
            if records_after is not None and records_before is not None else None}


def _settle(system: System, records_before: int | None, count: int, wait_s: float) -> tuple[float, int | None, int]:
    """Once the step's channels are gone: wait (up to ``wait_s``) for an overloaded controller to catch
    up, so what it wrote late is not counted as lost. (seconds it took, records, agents not available)."""
    started = time.monotonic()
    while True:
        records, stuck = system.records(), system.stuck_agents()
        done = not stuck and (records is None or records_before is None or records - records_before >= count)
        if done or time.monotonic() - started >= wait_s:
            return round(time.monotonic() - started, 1), records, stuck
        time.sleep(1.0)


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


ROLES = ("freeswitch", "controller", "worker", "redis", "database")


def print_header(name: str, out) -> None:
    print(f"\n{name}", file=out)
    print(f"{'calls/s':>7} {'placed':>6} {'failed':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>8} {'answer':>6} "
          f"{'p99':>6} {'chans':>6} "
          f"{'stuck':>5} {'no rec':>6} {'load':>5}  CPU ms/call: " + " ".join(f"{r[:10]:>10}" for r in ROLES) + f" {'total':>7}",
          file=out)


def print_step(s: dict, out) -> None:
    def num(v) -> str:
        return "-" if v is None else f"{v:g}"
    print(f"{s['rate']:>7g} {s['placed']:>6} {s['failed']:>6} {num(s['dispatch_p50_ms']):>7} "
          f"{num(s['dispatch_p99_ms']):>7} {num(s['dispatch_max_ms']):>8} {num(s['answer_p50_ms']):>6} "
          f"{num(s['answer_p99_ms']):>6} {s['max_channels']:>6} "
          f"{s['stuck_agents']:>5} {num(s['missing_records']):>6} {s['load_avg_1m']:>5g}               "
          + " ".join(f"{num(s['cpu_ms_per_call'].get(r)):>10}" for r in ROLES)
          + f" {s['cpu_ms_per_call_total']:>7g}", file=out, flush=True)


def bench(make: Callable, binary: str, phones: list[tuple[str, str]], rates: list[float], args, out) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"hotline-fsbench-{make.__name__}-"))
    system = make(binary, tmp, phones, args)
    agents = None
    steps: list[dict] = []
    try:
        sipp = Sipp("127.0.0.1", system.fs.sip_port, system.fs.domain, workdir=tmp / "sipp")
        sipp.workdir.mkdir()
        agents = Agents.start(sipp, answer_ms=args.answer_ms, talk_ms=int(args.talk_s * 1000), echo=not args.no_media)
        started = time.monotonic()
        agents.register(phones)
        registered = time.monotonic() - started
        reg = system.fs.api("sofia status profile internal reg")
        total = next((line for line in reg.splitlines() if line.startswith("Total items returned")), "")
        print_header(f"{system.name} ({len(phones)} agents registered in {registered:.1f} s; {total.strip()})", out)
        time.sleep(2.0)
        for index, rate in enumerate(rates):
            step = run_step(system, sipp, agents, rate, index, args)
            steps.append(step)
            print_step(step, out)
            if step["failed"] > args.stop_failed * step["placed"] and not args.all_steps:
                break   # past the knee: further steps only pile up on a drowning switch
    finally:
        if agents is not None:
            agents.stop()
        system.close()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}", file=out)
    return summary(system.name, steps)


def summary(name: str, steps: list[dict]) -> dict:
    clean = [s for s in steps if s["failed"] == 0 and s["dispatched"]]
    best = max(clean, key=lambda s: s["rate"]) if clean else None
    return {"system": name, "max_cps_no_failures": best["rate"] if best else 0,
            "dispatch_p50_ms": {f"{s['rate']:g}": s["dispatch_p50_ms"] for s in steps},
            "dispatch_p99_ms": {f"{s['rate']:g}": s["dispatch_p99_ms"] for s in steps},
            # at the highest clean rate: the load the system carries, per role and in all
            "cpu_ms_per_call": best["cpu_ms_per_call_total"] if best else None,
            "cpu_ms_per_call_by_role": best["cpu_ms_per_call"] if best else {},
            "cpu_ms_per_call_by_rate": {f"{s['rate']:g}": s["cpu_ms_per_call_total"] for s in steps},
            "clean_rates": [f"{s['rate']:g}" for s in clean],
            "steps": steps}


def ratios(mine: dict, peer: dict) -> dict:
    """Hotline / mod_callcenter: below 1 is better for latency and CPU, above 1 for the rate."""
    def div(a, b):
        return round(a / b, 2) if a is not None and b else None
    common = [r for r in mine["dispatch_p99_ms"] if r in peer["dispatch_p99_ms"]]
    # CPU per call falls as the rate rises (the switch's idle work is shared by more calls): compare
    # at the highest rate both carried without a failure
    both = [r for r in mine["clean_rates"] if r in peer["clean_rates"]]
    at = max(both, key=float) if both else None
    return {"max_cps_no_failures": div(mine["max_cps_no_failures"], peer["max_cps_no_failures"]),
            "dispatch_p99_ms": {r: div(mine["dispatch_p99_ms"][r], peer["dispatch_p99_ms"][r]) for r in common},
            "dispatch_p50_ms": {r: div(mine["dispatch_p50_ms"][r], peer["dispatch_p50_ms"][r]) for r in common},
            "cpu_ms_per_call": div(mine["cpu_ms_per_call_by_rate"][at], peer["cpu_ms_per_call_by_rate"][at])
            if at else None,
            "cpu_compared_at_cps": float(at) if at else None}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline bench calls --switch freeswitch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--switch", choices=("freeswitch",), default="freeswitch")
    parser.add_argument("--freeswitch", default=os.environ.get("HOTLINE_FREESWITCH_BIN", ""),
                        help="the freeswitch binary (default: HOTLINE_FREESWITCH_BIN)")
    parser.add_argument("--agents", type=int, default=300)
    parser.add_argument("--rates", default="2,5,10,15,20,30,40", help="calls/s per step, rising")
    parser.add_argument("--step-s", type=float, default=20.0, help="seconds of calls per step")
    parser.add_argument("--answer-ms", type=int, default=200, help="an agent's phone answers after this")
    parser.add_argument("--talk-s", type=float, default=5.0, help="then the agent talks this long and hangs up")
    parser.add_argument("--freeswitch-priority", choices=("auto", "normal"), default="auto",
                        help="auto: FreeSWITCH's default, real-time (SCHED_FIFO) threads; normal: -np, ordinary "
                             "scheduling, so a saturated switch no longer starves the controller")
    parser.add_argument("--no-media", action="store_true",
                        help="SIPp does not echo RTP: the switch's media work shrinks to what it sends (hold "
                             "music), so the rise finds the call handling's limit rather than the media's")
    parser.add_argument("--patience-s", type=float, default=30.0,
                        help="a caller not reached by an agent within this hangs up (a failed call)")
    parser.add_argument("--settle-s", type=float, default=3.0, help="after a step's last call, before counting")
    parser.add_argument("--records-wait-s", type=float, default=40.0,
                        help="then wait up to this long for every record and every agent back to available")
    parser.add_argument("--stop-failed", type=float, default=0.10,
                        help="stop rising after a step where more than this share of calls failed")
    parser.add_argument("--all-steps", action="store_true", help="run every step whatever fails")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a throw-away database is made on it); "
                                               "default HOTLINE_TEST_PG_URL, else a temporary SQLite file")
    parser.add_argument("--redis-url", default="", help="default: the configured redis_url")
    parser.add_argument("--controller-log-level", default="WARNING",
                        help="INFO also logs the Event Socket's per-command waiting/running figures each minute")
    parser.add_argument("--no-worker", action="store_true", help="the controller alone, without `hotline worker`")
    parser.add_argument("--peer", choices=("mod_callcenter",), help="the same load against mod_callcenter, then ratios")
    parser.add_argument("--only-peer", action="store_true", help="run the peer only")
    parser.add_argument("--peer-first", action="store_true", help="run the peer before Hotline (a second round "
                                                                   "in the opposite order)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (logs, SIPp traces)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (the table goes to stderr)")
    args = parser.parse_args(argv)
    if not args.freeswitch or not Path(args.freeswitch).exists():
        parser.error("no FreeSWITCH binary: give --freeswitch or set HOTLINE_FREESWITCH_BIN")
    if not sipp_binary():
        parser.error("SIPp is missing (Debian: apt-get install sip-tester)")
    from control.procs import raise_open_files

    raise_open_files(10000, name="hotline bench calls")
    rates = [float(r) for r in args.rates.split(",")]
    phones = _phones(args.agents)
    out = sys.stderr if args.json else sys.stdout
    result: dict = {"agents": args.agents, "step_s": args.step_s, "answer_ms": args.answer_ms, "talk_s": args.talk_s,
                    "media": not args.no_media, "freeswitch_priority": args.freeswitch_priority,
                    "nproc": os.cpu_count()}
    systems = ([] if args.only_peer else [hotline]) + ([mod_callcenter] if args.peer or args.only_peer else [])
    if args.peer_first:
        systems.reverse()
    for make in systems:
        result[make.__name__] = bench(make, args.freeswitch, phones, rates, args, out)
    if "hotline" in result and "mod_callcenter" in result:
        result["ratio"] = ratios(result["hotline"], result["mod_callcenter"])
        r = result["ratio"]
        print(f"\nHotline / mod_callcenter: max calls/s with 0 failures {r['max_cps_no_failures']}x, "
              f"CPU per call {r['cpu_ms_per_call']}x (at {r['cpu_compared_at_cps']} calls/s), dispatch p99 by rate {r['dispatch_p99_ms']}", file=out)
    if args.json:
        print(json.dumps({k: ({kk: vv for kk, vv in v.items() if kk != "steps"} | {"steps": v["steps"]})
                          if isinstance(v, dict) and "steps" in v else v for k, v in result.items()}))
    return 0

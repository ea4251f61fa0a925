"""After-call work: how many calls/s of wrap-up one `hotline worker` process carries.

Real PostgreSQL and Redis. The bench creates a throw-away database on the server of
``--server-url`` (default: PostgreSQL on 127.0.0.1), writes N ended calls, starts one
``hotline worker`` process on a queue of its own, enqueues the N ``finalize_call`` jobs in one
pipeline and times until every job is done, any follow-on job included (with the bench's calls:
answered, no recording, no ticket disposition, no webhook target or CRM, so the wrap-up job alone,
which sends the post-call SMS with the ``log`` provider). It reports calls/s, jobs/s, the worker's
CPU per call, the CPU of the database's backends per call and the load average at the end, then
drops the database and the queue's keys.

    hotline bench worker [--calls 500] [--server-url postgresql://...] [--redis-url ...] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from control.config import load_config

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SERVER_URL = "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
WRAPUP_JOB = "worker.wrapup.finalize_call"


@dataclass
class Result:
    calls: int
    jobs: int
    failed: int
    seconds: float
    worker_cpu_s: float
    database_cpu_s: float = 0.0

    def as_dict(self) -> dict:
        def per_call(seconds: float) -> float:
            return round(1000 * seconds / self.calls, 2) if self.calls else 0.0

        return {"calls": self.calls, "jobs": self.jobs, "failed": self.failed, "seconds": round(self.seconds, 3),
                "calls_per_s": round(self.calls / self.seconds, 1) if self.seconds else 0.0,
                "jobs_per_s": round(self.jobs / self.seconds, 1) if self.seconds else 0.0,
                "worker_cpu_ms_per_call": per_call(self.worker_cpu_s),
                "database_cpu_ms_per_call": per_call(self.database_cpu_s),
                "load_average": round(os.getloadavg()[0], 2)}


class ThrowAwayDatabase:
    def __init__(self, server_url: str):
        import psycopg2

        if not server_url.startswith(("postgresql", "postgres:")):
            raise SystemExit(f"hotline bench worker: --server-url must be a PostgreSQL URL, not {server_url!r}")
        self.name = f"hotline_bench_worker_{uuid.uuid4().hex[:8]}"
        self._admin = psycopg2.connect(server_url)
        self._admin.autocommit = True
        with self._admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.name}"')
        self.url = f"{server_url.rsplit('/', 1)[0]}/{self.name}"

    def drop(self) -> None:
        from records.db import _cached_engine

        _cached_engine(self.url, True).dispose()
        with self._admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.close()


def throwaway_database(url: str | None, tmp: Path) -> tuple[str, Callable[[], None], str | None]:
    """(database url, drop, PostgreSQL database name)."""
    if url and url.startswith(("postgresql", "postgres:")):
        db = ThrowAwayDatabase(url)
        return db.url, db.drop, db.name
    if url:
        return url, lambda: None, None
    return f"sqlite:///{tmp / 'bench.db'}", lambda: None, None


def write_calls(database_url: str, count: int, tag: str) -> list[str]:
    """``count`` answered calls that ended a minute ago; half of them from a known customer."""
    from records.calls import CallRecordWriter
    from records.db import session_factory
    from records.migrate import ensure_schema
    from records.models import Customer

    ensure_schema(database_url)
    sessions = session_factory(database_url)
    with sessions() as session, session.begin():
        customer = Customer(name="Bench Customer")
        session.add(customer)
        session.flush()
        customer_id = customer.id
    now = time.time()
    ids = [f"bench-{tag}-{n}" for n in range(count)]
    CallRecordWriter(sessions, spool_path=None).write_many(
        {"call_id": call_id, "caller": f"+1415555{n % 10000:04d}", "did": "+18005550100",
         "customer_id": customer_id if n % 2 == 0 else None, "queue": "support", "agent_id": f"agent{n % 50}",
         "ivr_path": [], "entered_at": now - 120, "answered_at": now - 110, "ended_at": now - 60,
         "wait_s": 10.0, "talk_s": 50.0, "outcome": "answered", "offers": [f"agent{n % 50}"]}
        for n, call_id in enumerate(ids))
    return ids


def database_cpu_s(name: str) -> float:
    """CPU used so far by the PostgreSQL backends serving database ``name`` (their process titles name
    it); 0 when the server runs elsewhere or its processes cannot be read."""
    import psutil

    total = 0.0
    for proc in psutil.process_iter(["cmdline"]):
        try:
            title = " ".join(proc.info["cmdline"] or [])
            if title.startswith("postgres:") and f" {name} " in f" {title} ":
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")
    env = {**env, "HOTLINE_DEMO_MODE": "1"}   # a bench rig: demo secrets and users (control/production.py)
    return subprocess.Popen([sys.executable, "-m", "control.cli", "worker"], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)


def wait_until(check, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"hotline bench worker: timed out waiting for {what}")
        time.sleep(0.05)


def queue_idle(queue) -> bool:
    from rq.registry import StartedJobRegistry

    return queue.count == 0 and StartedJobRegistry(queue=queue).count == 0


def run(args) -> Result:
    import psutil
    import redis
    from rq import Queue, Worker
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from worker.queues import job_queue

    redis_url = args.redis_url or load_config().redis_url
    tag = uuid.uuid4().hex[:8]
    queue_name = f"bench-worker-{tag}"
    client = redis.Redis.from_url(redis_url)
    queue = job_queue(queue_name, client)   # the worker reads JSON jobs (worker/queues.py)
    db = ThrowAwayDatabase(args.server_url)
    tmp = Path(tempfile.mkdtemp(prefix="hotline-bench-worker-"))
    proc = None
    try:
        ids = write_calls(db.url, args.calls, tag)
        env = {**os.environ, "HOTLINE_DATABASE_URL": db.url, "HOTLINE_REDIS_URL": redis_url,
               "HOTLINE_RQ_QUEUE": queue_name, "HOTLINE_SMS_PROVIDER": "log", "HOTLINE_DEMO_MODE": "1", "HOTLINE_WORKER_METRICS_PORT": "0",
               "HOTLINE_ARCHIVE_DIR": str(tmp / "archive")}
        env.pop("HOTLINE_CRM_WRITEBACK_URL", None)
        proc = start_worker(env, tmp / "worker.log")
        wait_until(lambda: any(w.name for w in Worker.all(queue=queue)) or proc.poll() is not None, 60,
                   "the worker to register")
        if proc.poll() is not None:
            raise SystemExit(f"hotline bench worker: the worker exited ({proc.returncode}); see {tmp / 'worker.log'}")
        worker = psutil.Process(proc.pid)
        cpu_before, db_before = sum(worker.cpu_times()[:2]), database_cpu_s(db.name)
        start = time.monotonic()
        queue.enqueue_many([Queue.prepare_data(WRAPUP_JOB, args=(call_id,), job_id=f"wrapup-{call_id}",
                                               result_ttl=3600, failure_ttl=3600) for call_id in ids])
        wait_until(lambda: queue_idle(queue), args.timeout_s, f"{args.calls} calls' wrap-up")
        seconds = time.monotonic() - start
        cpu = sum(worker.cpu_times()[:2]) - cpu_before
        db_cpu = database_cpu_s(db.name) - db_before
        finished = FinishedJobRegistry(queue=queue).count
        failed = FailedJobRegistry(queue=queue).count
        return Result(args.calls, finished + failed, failed, seconds, cpu, db_cpu)
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            proc.wait(10)
        _drop_keys(client, tag, queue.key)
        db.drop()


def _drop_keys(client, tag: str, queue_key: str) -> None:
    """The queue's keys and the jobs' keys (both carry the run's tag), and the queue in RQ's set of
    queues (the worker registered it there)."""
    keys = list(client.scan_iter(match=f"rq:*{tag}*", count=5000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])
    client.srem("rq:queues", queue_key)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline bench worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=500, help="ended calls to wrap up")
    parser.add_argument("--server-url", default=DEFAULT_SERVER_URL,
                        help="PostgreSQL server; the bench creates and drops a database on it")
    parser.add_argument("--redis-url", default="", help="default: the configured redis_url")
    parser.add_argument("--timeout-s", type=float, default=600.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    result = run(args).as_dict()
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['calls']} calls, {result['jobs']} jobs ({result['failed']} failed) in {result['seconds']} s: "
              f"{result['calls_per_s']} calls/s, {result['jobs_per_s']} jobs/s, "
              f"worker CPU {result['worker_cpu_ms_per_call']} ms per call (one process), database "
              f"{result['database_cpu_ms_per_call']} ms; load average {result['load_average']}")
    return 0 if result["failed"] == 0 else 1

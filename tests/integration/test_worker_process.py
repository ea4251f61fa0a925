"""`hotline worker` runs jobs in its own process (no fork per job), so the database engine and the
parsed queue files outlive a job (worker/cli.py, worker/runtime.py)."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from control.config import ROOT

pytestmark = pytest.mark.integration


def test_jobs_run_in_the_worker_process_itself(redis_url, redis_client, redis_prefix, tmp_path):
    from worker.queues import job_queue

    queue = job_queue(f"{redis_prefix}-wrapup", redis_client)
    jobs = [queue.enqueue("os.getpid", job_id=f"pid-{redis_prefix}-{n}") for n in range(3)]
    env = {**os.environ, "HOTLINE_REDIS_URL": redis_url, "HOTLINE_RQ_QUEUE": queue.name,
           "HOTLINE_DEMO_MODE": "1", "HOTLINE_WORKER_METRICS_PORT": "0"}
    log = tmp_path / "worker.log"
    try:
        with open(log, "wb") as out:
            proc = subprocess.run([sys.executable, "-m", "control.cli", "worker", "--burst"], env=env, cwd=ROOT,
                                  stdout=out, stderr=subprocess.STDOUT, timeout=60)
        assert proc.returncode == 0, log.read_text()
        pids = {job.return_value(refresh=True) for job in jobs}
        # one pid for every job, and not a horse forked per job (which would give three)
        assert len(pids) == 1, pids
        assert "calls/s of wrap-up" in log.read_text()
    finally:
        for key in redis_client.scan_iter(match=f"rq:*{redis_prefix}*", count=1000):
            redis_client.delete(key)


def test_queue_files_are_parsed_again_only_when_one_changes(monkeypatch, tmp_path):
    import shutil

    import reports.rollup
    from worker import runtime

    queues = tmp_path / "queues"
    shutil.copytree(ROOT / "queues", queues)
    monkeypatch.setenv("HOTLINE_QUEUES_DIR", str(queues))
    parsed = []
    real = reports.rollup.configured_thresholds
    monkeypatch.setattr(reports.rollup, "configured_thresholds", lambda: parsed.append(1) or real())
    monkeypatch.setattr(runtime._Thresholds, "value", None)
    first = runtime.queue_thresholds()
    assert runtime.queue_thresholds() is first and len(parsed) == 1
    some_file = next(p for p in queues.rglob("*") if p.is_file())
    time.sleep(0.01)
    some_file.write_text(some_file.read_text() + "\n")
    runtime.queue_thresholds()
    assert len(parsed) == 1                      # the files are looked at every RECHECK_S, not every job
    monkeypatch.setattr(runtime._Thresholds, "checked_at", time.monotonic() - runtime.RECHECK_S)
    runtime.queue_thresholds()
    assert len(parsed) == 2


def test_the_fan_out_enqueues_a_ticket_job_only_for_a_disposition_that_asks_for_one(redis_client, redis_prefix):
    from types import SimpleNamespace

    from worker.fanout import fan_out
    from worker.queues import job_queue
    from worker.settings import Settings

    queue = job_queue(f"{redis_prefix}-wrapup", redis_client)
    settings = Settings(sms_provider="")

    def call(call_id, disposition):
        return SimpleNamespace(call_id=call_id, disposition=disposition, recording_path=None)

    try:
        assert fan_out(queue, call(f"{redis_prefix}-a", "resolved"), [], settings) == []
        assert fan_out(queue, call(f"{redis_prefix}-b", None), [], settings) == []
        assert fan_out(queue, call(f"{redis_prefix}-c", "complaint"), [], settings) == [f"ticket-{redis_prefix}-c"]
    finally:
        for key in redis_client.scan_iter(match=f"rq:*{redis_prefix}*", count=1000):
            redis_client.delete(key)


def _round_trips(worker_class, redis_client, prefix: str, jobs: int, monkeypatch) -> int:
    import redis.connection

    from worker.queues import SERIALIZER, job_queue

    queue = job_queue(f"{prefix}-{worker_class.__name__}", redis_client)
    for n in range(jobs):
        queue.enqueue("os.getpid", job_id=f"rt-{prefix}-{worker_class.__name__}-{n}")
    worker = worker_class([queue], connection=redis_client, serializer=SERIALIZER)
    sent = []
    real = redis.connection.AbstractConnection.send_packed_command
    with monkeypatch.context() as m:
        m.setattr(redis.connection.AbstractConnection, "send_packed_command",
                  lambda self, *a, **k: sent.append(1) or real(self, *a, **k))
        worker.work(burst=True)
    return len(sent)


def test_the_worker_spends_fewer_redis_round_trips_per_job_than_simpleworker(redis_client, redis_prefix,
                                                                              monkeypatch):
    from rq import SimpleWorker

    from worker.rq_worker import WrapUpWorker

    try:
        simple = _round_trips(SimpleWorker, redis_client, redis_prefix, 6, monkeypatch)
        ours = _round_trips(WrapUpWorker, redis_client, redis_prefix, 6, monkeypatch)
        assert ours <= simple - 6 * 6, (simple, ours)   # measured: 150 and 93 (9.5 fewer per job)
    finally:
        for key in redis_client.scan_iter(match=f"rq:*{redis_prefix}*", count=1000):
            redis_client.delete(key)


def test_the_worker_key_gets_its_full_ttl_back_after_a_job(redis_client, redis_prefix):
    from worker.queues import SERIALIZER, job_queue
    from worker.rq_worker import WrapUpWorker

    worker = WrapUpWorker([job_queue(f"{redis_prefix}-ttl", redis_client)], connection=redis_client,
                          serializer=SERIALIZER)
    full = worker.worker_ttl + 60
    try:
        worker.heartbeat()
        assert redis_client.ttl(worker.key) > full - 5
        redis_client.expire(worker.key, 100)
        worker.heartbeat()                                  # within HEARTBEAT_EVERY_S: not sent again
        assert redis_client.ttl(worker.key) <= 100
        worker.heartbeat(240)                               # a job's preparation shortens it ...
        assert redis_client.ttl(worker.key) <= 240
        worker.heartbeat()                                  # ... and the renewal after the job restores it
        assert redis_client.ttl(worker.key) > full - 5
    finally:
        redis_client.delete(worker.key)


def test_worker_help_states_what_one_process_carries(capsys):
    from worker.cli import CALLS_PER_S_PER_PROCESS, main

    with pytest.raises(SystemExit):
        main(["--help"])
    assert f"about {CALLS_PER_S_PER_PROCESS} calls/s" in " ".join(capsys.readouterr().out.split())


def test_the_jobs_read_a_changed_environment_at_once(monkeypatch):
    from worker import runtime

    monkeypatch.setenv("HOTLINE_SMS_PROVIDER", "log")
    assert runtime.settings_from_env().sms_provider == "log"
    monkeypatch.setenv("HOTLINE_SMS_PROVIDER", "")
    assert runtime.settings_from_env().sms_provider == ""


def test_the_workers_engine_does_not_ping_and_a_dropped_connection_fails_one_try(pg_database_url):
    import psycopg2
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from records.db import session_factory

    sessions = session_factory(pg_database_url, pre_ping=False)
    assert sessions.kw["bind"].pool._pre_ping is False
    assert session_factory(pg_database_url).kw["bind"].pool._pre_ping is True   # everyone else's
    with sessions() as s:
        pid = s.scalar(text("SELECT pg_backend_pid()"))
    admin = psycopg2.connect(pg_database_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    with pytest.raises(OperationalError), sessions() as s:   # the job fails; RQ retries it ...
        s.scalar(text("SELECT 1"))
    with sessions() as s:                                     # ... on a new connection
        assert s.scalar(text("SELECT 1")) == 1

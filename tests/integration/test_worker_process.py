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

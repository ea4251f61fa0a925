"""An RQ worker is SIGKILLed in the middle of the wrap-up job: the job is found abandoned, retried by
the next worker, and its effects (history entry, finalised marker) exist exactly once."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg2
import pytest
from sqlalchemy import func, select

from records.calls import CallRecordWriter
from records.models import AuditLog, Customer, Interaction
from tests.integration.faultkit import ROOT, Database, drop_keys, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def db():
    db = Database()
    yield db
    db.drop()


@pytest.fixture
def workers(redis_url, redis_prefix, db, tmp_path):
    procs = []
    env = {**os.environ, "HOTLINE_DATABASE_URL": db.url, "HOTLINE_REDIS_URL": redis_url,
           "HOTLINE_RQ_QUEUE": f"{redis_prefix}-wrapup", "HOTLINE_SMS_PROVIDER": "log",
           "HOTLINE_ARCHIVE_DIR": str(tmp_path / "archive"),
           "HOTLINE_DEMO_MODE": "1"}   # test secrets and seeded users (control/production.py)
    env.pop("HOTLINE_CRM_WRITEBACK_URL", None)

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(procs)}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "control.cli", "worker"], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            crash(proc)
    drop_keys(redis_url, f"rq:*{redis_prefix}*")


def crash(proc: subprocess.Popen) -> list:
    """SIGKILL the worker and any child (its scheduler), as when the machine or container dies.
    Returns the processes killed."""
    import psutil

    parent = psutil.Process(proc.pid)
    victims = parent.children(recursive=True) + [parent]
    for victim in victims:
        try:
            victim.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(victims, timeout=5)
    proc.wait(5)
    return victims


def counts(db, call_id: str, customer_id: int) -> tuple[int, int]:
    with db.sessions() as s:
        history = s.scalar(select(func.count()).select_from(Interaction).where(Interaction.customer_id == customer_id))
        marks = s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.target == call_id))
    return history, marks


def test_killed_job_reruns_without_double_effects(db, workers, redis_client, redis_prefix):
    from rq.job import Job, JobStatus
    from rq.registry import StartedJobRegistry

    from control.store.jobs import RQJobs

    call_id = f"fault-{redis_prefix}"
    with db.sessions() as s, s.begin():
        customer = Customer(name="Killed Worker")
        s.add(customer)
        s.flush()
        customer_id = customer.id
    now = time.time()
    CallRecordWriter(db.sessions, spool_path=None).write({
        "call_id": call_id, "caller": "+14155550100", "did": "+18005550100", "customer_id": customer_id,
        "queue": "support", "agent_id": "alice", "ivr_path": [], "entered_at": now - 60, "answered_at": now - 50,
        "ended_at": now, "wait_s": 10.0, "talk_s": 50.0, "outcome": "answered", "offers": ["alice"]})
    jobs = RQJobs(redis_client, f"{redis_prefix}-wrapup")
    jobs.enqueue("worker.wrapup.finalize_call", call_id, job_id=f"wrapup-{call_id}")
    job = Job.fetch(f"wrapup-{call_id}", connection=redis_client, serializer=jobs.queue.serializer)

    # hold the audit log: the job blocks inside its transaction, where the worker is then killed
    lock = psycopg2.connect(db.url)
    with lock.cursor() as cur:
        cur.execute("LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE")
    first = workers()
    wait_for(lambda: job.get_status(refresh=True) == JobStatus.STARTED, 15, what="the job to start")
    wait_for(lambda: _waiting_on_lock(db), 10, what="the job to block on the lock")
    crash(first)     # the worker runs the job in itself (SimpleWorker): killing it kills the job
    lock.rollback()
    lock.close()
    assert counts(db, call_id, customer_id) == (0, 0)
    assert job.get_status(refresh=True) == JobStatus.STARTED     # nobody finished it

    # the next worker's maintenance finds it abandoned once its heartbeat lapses, and the dead
    # worker's scheduler lock (held for the retry's delay) expires about a minute later: jump there
    StartedJobRegistry(queue=jobs.queue).cleanup(timestamp=time.time() + 3600)
    redis_client.delete(f"rq:scheduler-lock:{jobs.queue.name}")
    assert job.get_status(refresh=True) in (JobStatus.SCHEDULED, JobStatus.QUEUED)
    workers()
    wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, 25, what="the rerun to finish")
    assert job.return_value() == "finalized"
    assert counts(db, call_id, customer_id) == (1, 1)
    # a duplicate enqueue (the controller re-sending it) is a no-op
    jobs.enqueue("worker.wrapup.finalize_call", call_id, job_id=f"wrapup-{call_id}")
    time.sleep(0.5)
    assert counts(db, call_id, customer_id) == (1, 1)


def _waiting_on_lock(db) -> bool:
    conn = psycopg2.connect(db.server_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                        (db.name,))
            return cur.fetchone()[0] > 0
    finally:
        conn.close()

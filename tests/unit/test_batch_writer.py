"""Batched call records and agent state history (control/store/batch.py, records/calls.py
write_many, records/state_log.py append_many) on SQLite: nothing lost, nothing doubled."""
from __future__ import annotations

import gevent
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from control.store.batch import Batcher, QueuedRecords, QueuedStateLog
from control.store.jobs import MemoryJobs
from records import state_log
from records.calls import CallRecordWriter
from records.db import session_factory
from records.models import Call
from records.wrapup_models import AgentStateChange
from tests.unit.test_records_calls import record


@pytest.fixture
def url(sqlite_db):
    return sqlite_db


def call_rows(sessions) -> list[tuple[str, str]]:
    with sessions() as s:
        return [(r.call_id, r.outcome) for r in s.scalars(select(Call).order_by(Call.call_id))]


def inline(func, *args, **kwargs):   # the thread pool, minus the thread
    return func(*args, **kwargs)


class CommitFails:
    """Sessions whose commit fails like a dropped connection, after the batch's INSERTs went out."""

    def __init__(self, sessions):
        self.sessions, self.failures, self.statements = sessions, 0, 0

    def __call__(self):
        session = self.sessions()
        if self.failures:
            self.failures -= 1

            @event.listens_for(session, "before_commit")
            def boom(_session):
                _session.flush()   # the rows are sent: the failure is mid-transaction, not before it
                raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return session


def test_a_batch_is_one_upsert_and_jobs_follow_the_write(url, tmp_path):
    sessions = session_factory(url)
    jobs = MemoryJobs()
    written_before_job: list[bool] = []

    class Watching(MemoryJobs):
        def enqueue(self, func_path, *args, job_id=None, **kwargs):
            written_before_job.append(args[0] in dict(call_rows(sessions)))
            jobs.enqueue(func_path, *args, job_id=job_id, **kwargs)

    queued = QueuedRecords(CallRecordWriter(sessions, spool_path=tmp_path / "s.jsonl"), Watching(), inline)
    for i in range(50):
        queued.submit(record(f"c{i:02}"))
    queued.submit(record("c07", outcome="abandoned"))   # the same call again: still one row
    assert queued.batcher.join(5)
    assert call_rows(sessions) == [(f"c{i:02}", "abandoned" if i == 7 else "answered") for i in range(50)]
    assert sorted(jobs.jobs) == [f"wrapup-c{i:02}" for i in range(50)]
    assert written_before_job and all(written_before_job)


def test_failure_mid_batch_loses_nothing_and_doubles_nothing(url, tmp_path):
    sessions = CommitFails(session_factory(url))
    writer = CallRecordWriter(sessions, spool_path=tmp_path / "s.jsonl", retry_s=0)
    writer.write_many([record("a"), record("b")])
    sessions.failures = 1
    writer.write_many([record("c"), record("d"), record("a", outcome="abandoned")])  # commit fails: rolled back
    assert writer.pending() == 3                       # the whole batch is in the spool
    assert call_rows(sessions.sessions) == [("a", "answered"), ("b", "answered")]
    writer.write_many([record("e")])                   # the next write flushes the spool first
    assert writer.pending() == 0
    assert call_rows(sessions.sessions) == [("a", "abandoned"), ("b", "answered"), ("c", "answered"),
                                            ("d", "answered"), ("e", "answered")]
    writer.write_many([record("c"), record("d")])      # rerun after a crash: still one row each
    assert len(call_rows(sessions.sessions)) == 5


def test_database_down_spools_the_batch_and_the_next_flush_writes_it(url, tmp_path):
    from tests.unit.test_records_calls import Flaky

    flaky = Flaky(session_factory(url))
    jobs = MemoryJobs()
    queued = QueuedRecords(CallRecordWriter(flaky, spool_path=tmp_path / "s.jsonl", retry_s=0), jobs, inline)
    for name in ("x", "y", "z"):
        queued.submit(record(name))
    assert queued.batcher.join(5)
    assert queued.pending() == 3 and sorted(jobs.jobs) == ["wrapup-x", "wrapup-y", "wrapup-z"]
    flaky.down = False
    assert queued.flush() and queued.pending() == 0
    assert [c for c, _ in call_rows(flaky.real)] == ["x", "y", "z"]


def test_one_bad_record_does_not_take_its_batch_with_it(url, tmp_path):
    sessions = session_factory(url)
    jobs = MemoryJobs()
    queued = QueuedRecords(CallRecordWriter(sessions, spool_path=tmp_path / "s.jsonl"), jobs, inline)
    for item in (record("ok1"), record("bad", wait_s="not a number"), record("ok2")):
        queued.batcher.put(item)   # submit() would refuse nothing here: the database refuses "bad"
    assert queued.batcher.join(5)
    assert [c for c, _ in call_rows(sessions)] == ["ok1", "ok2"]
    assert sorted(jobs.jobs) == ["wrapup-ok1", "wrapup-ok2"]


def test_a_full_queue_makes_put_wait_instead_of_growing():
    release = gevent.event.Event()
    batches: list[list] = []

    def slow_write(items):
        release.wait()
        batches.append(list(items))

    batcher = Batcher(slow_write, inline, max_batch=2, max_queued=2)
    for i in range(3):   # one is being written, two wait in the queue
        batcher.put(i)
        gevent.sleep(0)
    late = gevent.spawn(batcher.put, 3)
    gevent.sleep(0.05)
    assert not late.dead and batcher.backlog() == 2
    release.set()
    late.join(2)
    assert batcher.join(2)
    assert [i for batch in batches for i in batch] == [0, 1, 2, 3]


def test_state_log_in_batches_and_never_blocking(url):
    sessions = session_factory(url)
    log = QueuedStateLog(lambda changes: state_log.append_many(sessions, changes), inline, max_queued=3)
    for i, state in enumerate(("available", "reserved", "on_call")):
        log.put("alice", state, None, 1795439400.0 + i)
    log.put("alice", "wrap_up", None, 1795439404.0)   # the queue is full: dropped, not waited for
    assert log.batcher.join(5)
    with sessions() as s:
        got = [(r.agent_id, r.state) for r in s.scalars(select(AgentStateChange).order_by(AgentStateChange.at))]
    assert got == [("alice", "available"), ("alice", "reserved"), ("alice", "on_call")]
    with pytest.raises(ValueError):
        state_log.append_many(sessions, [("alice", "available", None, None), ("alice", "dancing", None, None)])
    with sessions() as s:
        assert len(s.scalars(select(AgentStateChange)).all()) == 3   # nothing of the refused batch

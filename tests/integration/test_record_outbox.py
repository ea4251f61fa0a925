"""Call records parked in Redis between a call's end and their batch write (control/store/outbox.py):
a controller killed in that window loses none, a peer's reconcile pass writes them once."""
from __future__ import annotations

import gevent
import pytest
from sqlalchemy import select

from control.store.batch import QueuedRecords
from control.store.jobs import MemoryJobs
from control.store.keys import Keys
from control.store.outbox import RecordOutbox
from records.calls import CallRecordWriter
from records.db import session_factory
from records.models import Call
from tests.unit.test_records_calls import record


@pytest.fixture
def sessions(sqlite_db):
    return session_factory(sqlite_db)


@pytest.fixture
def outbox(redis_client, redis_prefix):
    return RecordOutbox(redis_client, Keys(redis_prefix).records_outbox())


def inline(func, *args, **kwargs):
    return func(*args, **kwargs)


def writer(sessions, tmp_path, jobs, outbox, clock):
    return QueuedRecords(CallRecordWriter(sessions, spool_path=tmp_path / "spool.jsonl"), jobs, inline,
                         outbox=outbox, clock=clock)


def call_ids(sessions) -> list[str]:
    with sessions() as s:
        return list(s.scalars(select(Call.call_id).order_by(Call.call_id)))


def test_a_written_record_leaves_the_outbox(sessions, tmp_path, outbox):
    jobs = MemoryJobs()
    records = writer(sessions, tmp_path, jobs, outbox, clock=lambda: 1000.0)
    records.submit(record("c1"))
    assert outbox.size() == 1                       # parked before the write
    assert records.drain(5)
    gevent.sleep(0)
    assert call_ids(sessions) == ["c1"] and outbox.size() == 0
    assert "wrapup-c1" in jobs.jobs


def test_records_of_a_killed_controller_are_written_by_a_peer_once(sessions, tmp_path, outbox):
    dead = writer(sessions, tmp_path, MemoryJobs(), outbox, clock=lambda: 1000.0)
    dead.batcher.put = lambda item, block=True: None   # killed before its batch went out (not racing its writer)
    dead.submit(record("c1"))
    dead.submit(record("c2", outcome="abandoned"))
    assert call_ids(sessions) == [] and outbox.size() == 2

    jobs = MemoryJobs()
    peer = writer(sessions, tmp_path, jobs, outbox, clock=lambda: 1100.0)
    assert peer.recover(now=1030.0, older_than_s=60) == 0       # too young: its writer may be alive
    assert peer.recover(now=1100.0, older_than_s=60) == 2
    assert peer.drain(5)
    gevent.sleep(0)
    assert call_ids(sessions) == ["c1", "c2"] and outbox.size() == 0
    assert {"wrapup-c1", "wrapup-c2"} <= set(jobs.jobs)
    # a second pass finds nothing and writes nothing twice
    assert peer.recover(now=1200.0, older_than_s=60) == 0
    assert call_ids(sessions) == ["c1", "c2"]


def test_two_segments_of_one_call_are_parked_apart(sessions, tmp_path, outbox):
    dead = writer(sessions, tmp_path, MemoryJobs(), outbox, clock=lambda: 1000.0)
    dead.batcher.put = lambda item, block=True: None   # killed before its batch went out
    dead.submit(record("c1", outcome="transferred", ended_at=1795439450.0))
    dead.submit(record("c1", outcome="answered", ended_at=1795439500.0))
    assert outbox.size() == 2
    assert sorted(r["outcome"] for r in outbox.stale(now=2000.0, older_than_s=60)) == ["answered", "transferred"]


def test_a_batch_holding_a_segment_id_enqueues_every_wrap_up_job(sessions, tmp_path, outbox, redis_client,
                                                                   redis_prefix):
    """A transferred call's next segment is ``<call id>:<n>``; RQ refuses ':' in a job id, and one
    refused id used to fail ``enqueue_many`` for the whole batch (every call in it lost its job)."""
    from rq import Queue

    from control.domain.job_ids import wrapup_job_id
    from control.store.jobs import RQJobs

    jobs = RQJobs(redis_client, f"{redis_prefix}-wrapup")
    records = writer(sessions, tmp_path, jobs, outbox, clock=lambda: 1000.0)
    first, second = f"{redis_prefix}-c1", f"{redis_prefix}-c2"   # job ids are not under the prefix
    for call_id in (first, f"{first}:1", second):
        records.submit(record(call_id))
    assert records.drain(5)
    gevent.sleep(0)
    assert call_ids(sessions) == [first, f"{first}:1", second]
    queued = set(Queue(f"{redis_prefix}-wrapup", connection=redis_client).job_ids)
    assert {f"wrapup-{first}", f"wrapup-{second}", wrapup_job_id(f"{first}:1")} == queued
    redis_client.delete(*(f"rq:job:{job}" for job in queued))

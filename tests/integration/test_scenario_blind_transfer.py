"""A blind transfer to a queue, end to end: the simulator over TCP (its ``uuid_transfer ... XML hotline``
runs dialplan/hotline.xml's hotline_queue extension), a real controller, Redis, PostgreSQL and RQ, and the
production record path (QueuedRecords: outbox, batch write, ``enqueue_many``). Both segments of the call
get their record and their wrap-up job, and the worker finalizes both."""
from __future__ import annotations

import socket
import uuid

import pytest
from sqlalchemy import select

from control.app import build
from control.config import load_config
from control.domain.job_ids import wrapup_job_id
from control.domain.models import Agent, AgentState
from control.ivr.loader import flows_from_data
from control.queues import queues_from_data
from simulator.runner import RecordTap, Static
from simulator.switch import Switch
from tests.integration.faultkit import wait_for

pytestmark = pytest.mark.integration

FLOWS = {"dids": {"default": "f"}, "f": {"languages": ["en"], "nodes": {"q": {"type": "queue", "queue": "support"}}}}
QUEUES = {"queues": {"support": {"ring_timeout_s": 2, "wrap_up_s": 30}, "billing": {"ring_timeout_s": 2}}}


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def rig(pg_database_url, redis_url, redis_client, tmp_path, monkeypatch):
    from records.migrate import ensure_schema

    prefix = f"hlblind-{uuid.uuid4().hex[:8]}"
    config = load_config(env={}).replace(
        database_url=pg_database_url, redis_url=redis_url, redis_prefix=prefix, rq_queue=f"{prefix}-wrapup",
        outbound_port=_port(), esl_port=_port(), wrap_up_s=5, recordings_dir=str(tmp_path),
        records_spool=str(tmp_path / "spool.jsonl"))
    ensure_schema(pg_database_url)
    switch = Switch(controller=("127.0.0.1", config.outbound_port), esl_listen=("127.0.0.1", config.esl_port),
                    password=config.esl_password)
    switch.start()
    controller = build(config, flows=Static(flows_from_data(FLOWS, "test")),
                       queues=Static(queues_from_data(QUEUES, "test")))
    records: dict[str, dict] = {}
    controller.deps.records = RecordTap(controller.deps.records, records)   # the production path, tapped
    store = controller.deps.store
    store.put_agent(Agent(id="alice", extension="1001", queues=["support"], order=0, name="alice"))
    store.put_agent(Agent(id="bob", extension="1002", queues=["billing"], order=1, name="bob"))
    switch.add_phone("1001", answer_after=0.2, talk_time=None)
    switch.add_phone("1002", answer_after=0.2, talk_time=0.5)      # bob hangs up after half a second
    controller.start()
    controller.switch.wait_ready(10)
    for agent_id in ("alice", "bob"):
        controller.manager.agents.change(agent_id, AgentState.AVAILABLE)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", pg_database_url)
    monkeypatch.setenv("HOTLINE_SMS_PROVIDER", "log")
    monkeypatch.setenv("HOTLINE_ARCHIVE_DIR", str(tmp_path / "archive"))
    yield controller, switch, records
    controller.stop()
    switch.stop()
    for pattern in (f"{prefix}:*", f"rq:*{prefix}*"):
        keys = list(redis_client.scan_iter(match=pattern, count=1000))
        if keys:
            redis_client.delete(*keys)


def test_a_blind_transfer_to_a_queue_gives_both_segments_their_record_job_and_finalize(rig, pg_database_url):
    from rq import SimpleWorker

    from records.db import session_factory
    from records.models import AuditLog
    from worker.queues import job_queue
    from worker.wrapup import FINALIZED

    controller, switch, records = rig
    handle = switch.place_call(caller="+14155550100", did="+18005550100")
    wait_for(lambda: handle.answered_by_agent == "1001", 15, what="alice answering")
    controller.deps.publisher.publish("control", {"type": "call_action", "action": "transfer", "call_id": handle.uuid,
                                                  "to": "queue", "target": "billing", "by": "alice"})
    wait_for(lambda: handle.answered_by_agent == "1002", 15, what="bob answering the transferred caller")
    segments = (handle.uuid, f"{handle.uuid}:1")
    wait_for(lambda: all(s in records for s in segments), 15, what="both segments' records")
    first, second = records[segments[0]], records[segments[1]]
    assert (first["outcome"], first["agent_id"]) == ("transferred", "alice")
    assert (second["outcome"], second["agent_id"], second["queue"]) == ("answered", "bob", "billing")
    # alice's wrap-up is the queue's (30 s), as after a hang-up, not the configured default (5 s)
    assert controller.deps.store.get_agent("alice").state == AgentState.WRAP_UP

    queue = job_queue(controller.deps.config.rq_queue, controller.redis)
    jobs = [wrapup_job_id(s) for s in segments]
    wait_for(lambda: set(jobs) <= set(queue.job_ids), 10, what="both wrap-up jobs enqueued")
    SimpleWorker([queue], connection=controller.redis, serializer=queue.serializer).work(burst=True)
    assert [queue.fetch_job(j).get_status() for j in jobs] == ["finished", "finished"]
    with session_factory(pg_database_url)() as session:
        done = set(session.scalars(select(AuditLog.target).where(AuditLog.action == FINALIZED,
                                                                 AuditLog.target.in_(segments))))
    assert done == set(segments)

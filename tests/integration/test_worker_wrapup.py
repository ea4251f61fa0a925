"""The wrap-up job against real PostgreSQL: retried until the record exists, never doubled."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from records.calls import CallRecordWriter
from records.db import session_factory
from records.migrate import ensure_schema
from records.models import AuditLog, Customer, Interaction
from worker.wrapup import RecordNotWrittenYet, finalize_call


@pytest.fixture(scope="module")
def sessions(pg_database_url):
    ensure_schema(pg_database_url)
    return session_factory(pg_database_url)


def record(call_id: str, customer_id: int | None) -> dict:
    now = time.time()
    return {"call_id": call_id, "caller": "+14155550100", "did": "+18005550100", "customer_id": customer_id,
            "queue": "support", "agent_id": "alice", "ivr_path": ["menu: 1"], "entered_at": now - 90,
            "offered_at": now - 80, "answered_at": now - 75, "ended_at": now, "wait_s": 15.0, "talk_s": 75.0,
            "outcome": "answered", "hangup_cause": "NORMAL_CLEARING", "disposition": "resolved",
            "recording_path": None, "offers": ["alice"], "explanations": [], "language": "en",
            "priority": 0, "tier": None}


def test_job_waits_for_the_record_then_adds_history_once(sessions):
    with sessions() as s, s.begin():
        customer = Customer(name="Wrap Up Tester")
        s.add(customer)
        s.flush()
        customer_id = customer.id
    with pytest.raises(RecordNotWrittenYet):
        finalize_call("wrap-1", sessions)
    CallRecordWriter(sessions).write(record("wrap-1", customer_id))
    assert finalize_call("wrap-1", sessions) == "finalized"
    assert finalize_call("wrap-1", sessions) == "already finalized"
    with sessions() as s:
        history = s.scalars(select(Interaction).where(Interaction.customer_id == customer_id)).all()
        marks = s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.target == "wrap-1"))
    assert len(history) == 1 and marks == 1
    assert history[0].summary == "Call answered by alice in support, talked 1m15s, resolved"


def test_the_finalized_marker_is_found_by_index_in_a_long_audit_log(sessions):
    """The audit log only grows (a row per call finalised): the wrap-up's look-up must not read it all."""
    from sqlalchemy import delete, insert, text

    from worker.wrapup import FINALIZED

    with sessions() as s, s.begin():
        s.execute(insert(AuditLog), [{"who": "worker", "action": FINALIZED, "target": f"long-log-{n}",
                                      "details": {}} for n in range(5000)])
    try:
        with sessions() as s:
            s.execute(text("ANALYZE audit_log"))
            plan = " ".join(row[0] for row in s.execute(
                text("EXPLAIN SELECT id FROM audit_log WHERE action = :action AND target = :target"),
                {"action": FINALIZED, "target": "long-log-7"}))
        assert "ix_audit_log_action_target" in plan, plan
    finally:
        with sessions() as s, s.begin():
            s.execute(delete(AuditLog).where(AuditLog.target.like("long-log-%")))

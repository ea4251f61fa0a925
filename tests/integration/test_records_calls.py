"""CallRecordWriter on PostgreSQL: idempotent upsert, buffering while the URL points at a dead port."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from records.calls import CallRecordWriter
from records.customers import CustomerStore
from records.db import make_engine, session_factory
from records.migrate import ensure_schema
from records.models import Call
from records.seed import seed
from tests.conftest import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_sessions(pg_database_url):
    ensure_schema(pg_database_url)
    sessions = session_factory(pg_database_url)
    with sessions() as s:
        s.execute(delete(Call).where(Call.call_id.like("it-%")))
        s.commit()
    return sessions


def rec(call_id, **kw):
    return {"call_id": call_id, "caller": "+14155550100", "did": "+18005550100", "queue": "support",
            "agent_id": "alice", "ivr_path": ["menu:1"], "entered_at": 1795439400.25, "offered_at": None,
            "answered_at": None, "ended_at": 1795439460.0, "wait_s": 60.0, "talk_s": 0.0, "outcome": "abandoned",
            "hangup_cause": "ORIGINATOR_CANCEL", "disposition": None, "recording_path": None, "offers": [],
            "explanations": [], "language": "en", "priority": 0, "tier": None, **kw}


def calls(sessions):
    with sessions() as s:
        return {c.call_id: c for c in s.scalars(select(Call).where(Call.call_id.like("it-%")))}


def test_upsert_is_idempotent_on_postgresql(pg_sessions, tmp_path):
    writer = CallRecordWriter(pg_sessions, spool_path=tmp_path / "spool.jsonl")
    for _ in range(3):
        writer.write(rec("it-1"))
    writer.write(rec("it-1", outcome="answered", talk_s=12.0))
    got = calls(pg_sessions)
    assert list(got) == ["it-1"] and got["it-1"].outcome == "answered"
    assert got["it-1"].entered_at.timestamp() == 1795439400.25


def test_buffers_while_database_is_down_then_flushes(pg_database_url, pg_sessions, tmp_path):
    dead = session_factory(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    writer = CallRecordWriter(dead, spool_path=tmp_path / "spool.jsonl", max_buffer=3, retry_s=0)
    for i in range(5):
        writer.write(rec(f"it-buf-{i}"))          # must not raise
    writer.write(rec("it-buf-0", outcome="answered"))
    assert writer.pending() == 6 and len(writer.buffer) == 3
    assert writer.flush() is False
    dead.configure(bind=make_engine(pg_database_url))   # the database "comes back"
    assert writer.flush() is True
    writer.write(rec("it-after"))
    got = calls(pg_sessions)
    assert sorted(got) == ["it-after"] + [f"it-buf-{i}" for i in range(5)]
    assert got["it-buf-0"].outcome == "answered"
    assert writer.pending() == 0


def test_seed_and_customer_card_on_postgresql(pg_database_url, pg_sessions):
    seed(pg_sessions)
    seed(pg_sessions)
    card = CustomerStore(pg_sessions).by_number("+14155550100")
    assert card["name"] == "Ann Lee" and card["tier"] == "vip"
    assert len(card["open_tickets"]) == 2
    assert CustomerStore(pg_sessions).by_number("+14155550101")["language"] == "zh"

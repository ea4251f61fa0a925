"""CallRecordWriter and CustomerStore on SQLite: upsert by call_id, times, buffering, cards."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from records.calls import CallRecordWriter, is_outage, to_datetime
from records.customers import CustomerStore, upsert_customers
from records.db import session_factory
from records.models import Call, Note


@pytest.fixture
def sessions(sqlite_db):
    return session_factory(sqlite_db)


def record(call_id="c1", **kw):
    base = dict(call_id=call_id, caller="+14155550100", did="+18005550100", customer_id=None, queue="billing",
                agent_id="alice", ivr_path=["menu:2"], entered_at=1795439400.5, offered_at=1795439410.0,
                answered_at=1795439415.0, ended_at=1795439500.0, wait_s=14.5, talk_s=85.0, outcome="answered",
                hangup_cause="NORMAL_CLEARING", disposition=None, recording_path="/r/c1.wav", offers=["alice"],
                explanations=[{"strategy": "most-skilled"}], language="en", priority=0, tier="vip")
    base.update(kw)
    return base


def rows(sessions):
    with sessions() as s:
        return s.scalars(select(Call).order_by(Call.id)).all()


def test_upsert_is_idempotent_and_converts_times(sessions, tmp_path):
    writer = CallRecordWriter(sessions, spool_path=tmp_path / "spool.jsonl")
    writer.write(record())
    writer.write(record())
    writer.write(record(outcome="transferred"))
    [row] = rows(sessions)
    assert row.outcome == "transferred"
    assert row.entered_at.replace(tzinfo=timezone.utc) == datetime.fromtimestamp(1795439400.5, timezone.utc)
    assert row.ivr_path == ["menu:2"] and row.explanations == [{"strategy": "most-skilled"}]


def test_console_disposition_survives_the_later_record(sessions, tmp_path):
    with sessions() as s:
        s.add(Call(call_id="c1", disposition="refund", ivr_path=[], offers=[], explanations=[]))
        s.commit()
    CallRecordWriter(sessions, spool_path=tmp_path / "s.jsonl").write(record(disposition=None))
    [row] = rows(sessions)
    assert row.disposition == "refund" and row.outcome == "answered"


class Flaky:
    """A session factory that fails like an unreachable database while ``down`` is set."""

    def __init__(self, real):
        self.real, self.down = real, True

    def __call__(self):
        if self.down:
            raise OperationalError("connect", {}, Exception("connection refused"))
        return self.real()


def test_buffers_while_down_and_flushes_once(sessions, tmp_path):
    flaky = Flaky(sessions)
    writer = CallRecordWriter(flaky, spool_path=tmp_path / "spool.jsonl", max_buffer=2, retry_s=0)
    for i in range(5):
        writer.write(record(f"c{i}"))
    writer.write(record("c1", outcome="abandoned"))   # a rerun while down: still one row later
    assert len(writer.buffer) == 2 and writer.pending() == 6     # memory bounded, the spool has them all
    assert writer.flush() is False
    flaky.down = False
    assert writer.flush() is True
    got = {r.call_id: r.outcome for r in rows(sessions)}
    assert got == {"c0": "answered", "c1": "abandoned", "c2": "answered", "c3": "answered", "c4": "answered"}
    assert writer.pending() == 0 and writer.flush() is True
    assert len(rows(sessions)) == 5


def test_a_new_writer_flushes_a_previous_spool(sessions, tmp_path):
    flaky = Flaky(sessions)
    CallRecordWriter(flaky, spool_path=tmp_path / "spool.jsonl").write(record("left-behind"))
    fresh = CallRecordWriter(sessions, spool_path=tmp_path / "spool.jsonl")
    fresh.write(record("next"))
    assert {r.call_id for r in rows(sessions)} == {"left-behind", "next"}


def test_bad_records_raise_instead_of_buffering(sessions, tmp_path):
    writer = CallRecordWriter(sessions, spool_path=tmp_path / "s.jsonl")
    with pytest.raises(ValueError):
        writer.write({"caller": "x"})
    assert not is_outage(IntegrityError("x", {}, Exception("dup")))
    assert to_datetime(None) is None and to_datetime(0).year == 1970


def test_customer_card_with_tickets_and_last_calls(sessions, tmp_path):
    upsert_customers(sessions, [{"number": "+14155550100", "name": "Ann Lee", "tier": "vip", "tags": ["vip"],
                                 "fields": {"plan": "Enterprise"}, "language": "en", "account": "A-1"}])
    store = CustomerStore(sessions)
    ann = store.by_number("+14155550100")
    writer = CallRecordWriter(sessions, spool_path=tmp_path / "s.jsonl")
    writer.write(record("old", customer_id=ann["id"], entered_at=100.0, disposition="refund"))
    writer.write(record("new", customer_id=ann["id"], entered_at=200.0))
    with sessions() as s:
        s.add(Note(call_id="old", customer_id=ann["id"], text="refunded invoice"))
        s.commit()
    card = store.by_number("+14155550100")
    assert (card["name"], card["tier"], card["tags"], card["language"]) == ("Ann Lee", "vip", ["vip"], "en")
    assert [(c["at"], c["disposition"], c["note"]) for c in card["last_calls"]] == \
        [(200.0, None, None), (100.0, "refund", "refunded invoice")]
    assert store.by_account("A-1")["id"] == ann["id"]
    assert store.by_account(str(ann["id"]))["id"] == ann["id"]
    assert store.by_number("+19999999999") is None and store.by_number("") is None
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Call)) == 2

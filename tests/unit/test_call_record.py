"""CallRecord (control/domain/call_record.py) is the one definition of a call record's fields."""
from __future__ import annotations

import pytest

from control.domain.call_record import FIELDS, LIST_FIELDS, PLAIN_FIELDS, TIME_FIELDS, CallRecord


def test_the_writer_stores_every_field_one_way():
    stored = {"call_id", "disposition", *TIME_FIELDS, *LIST_FIELDS, *PLAIN_FIELDS}
    assert stored == FIELDS and len(stored) == len(TIME_FIELDS) + len(LIST_FIELDS) + len(PLAIN_FIELDS) + 2


def test_a_record_travels_as_its_dict():
    record = CallRecord(call_id="c1:1", caller="+1", offers=["alice"], explanations=[{"kind": "route"}])
    assert CallRecord.from_dict(record.to_dict()) == record


@pytest.mark.parametrize("data,words", [
    ({"caller": "+1"}, "needs a call_id"),
    ({"call_id": "c1", "talk_time": 3}, "unknown call record fields ['talk_time']"),
])
def test_a_bad_record_is_refused_with_what_is_wrong(data, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        CallRecord.from_dict(data)


def test_the_writer_refuses_a_field_that_is_not_a_call_record_field(tmp_path):
    from records.calls import CallRecordWriter

    writer = CallRecordWriter(lambda: None, spool_path=tmp_path / "spool.jsonl")
    with pytest.raises(ValueError, match="talk_time"):
        writer.write({"call_id": "c1", "talk_time": 3})


def test_the_worker_payload_is_made_of_call_record_fields():
    from datetime import datetime, timezone
    from types import SimpleNamespace

    from worker.payload import PUBLIC_FIELDS, call_payload

    assert set(PUBLIC_FIELDS) <= FIELDS
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    row = SimpleNamespace(**{**CallRecord(call_id="c1", outcome="answered", agent_id="alice", talk_s=65.0).to_dict(),
                             "entered_at": at, "answered_at": None, "ended_at": at})
    payload = call_payload(row)
    assert list(payload) == [*PUBLIC_FIELDS, "summary"]
    assert payload["entered_at"] == "2026-01-02T03:04:05+00:00" and payload["answered_at"] is None
    assert payload["summary"] == "Call answered by alice, talked 1m05s"


def test_who_hung_up_first_from_the_caller_legs_hangup():
    from control.domain.call_record import ended_by, hung_up_first

    assert ended_by({"variable_sip_term_status": "200"}, answered=True) == "caller"
    assert ended_by({"variable_sip_term_status": "487"}, answered=False) == "caller"   # a CANCEL
    assert ended_by({"variable_sip_hangup_phrase": "OK"}, answered=True) == "agent"
    assert ended_by({"variable_sip_hangup_phrase": "OK"}, answered=False) == "system"
    assert ended_by({}, answered=True) == "system"
    assert hung_up_first([{"kind": "route"}, {"kind": "end", "by": "agent"}]) == "agent"
    assert hung_up_first([{"kind": "route"}]) is None

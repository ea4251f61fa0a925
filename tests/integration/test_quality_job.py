"""The quality job after wrap-up: a recorded call gets its metrics row and automatic score; the wrap-up
fan-out enqueues it for every call with a recording; reruns replace, never double."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from records.quality_config import load_quality
from records.calls import CallRecordWriter
from records.db import session_factory
from records.migrate import ensure_schema
from records.quality_models import CallQuality
from records.wrapup_models import CallFacts
from tests.quality_audio import needs_espeak, write_call
from worker.fanout import fan_out
from worker.quality import analyse_call
from worker.settings import Settings

pytestmark = [pytest.mark.integration, needs_espeak]


@pytest.fixture()
def sessions(tmp_path):
    url = f"sqlite:///{tmp_path / 'q.db'}"
    ensure_schema(url)
    return session_factory(url)


def record(call_id: str, path, language="en") -> dict:
    now = time.time()
    return {"call_id": call_id, "caller": "+14155550100", "did": "+18005550100", "customer_id": None,
            "queue": "support", "agent_id": "alice", "ivr_path": [], "entered_at": now - 40, "offered_at": now - 35,
            "answered_at": now - 30, "ended_at": now, "wait_s": 10.0, "talk_s": 30.0, "outcome": "answered",
            "hangup_cause": "NORMAL_CLEARING", "disposition": None, "recording_path": str(path), "offers": ["alice"],
            "explanations": [], "language": language, "priority": 0, "tier": None}


def test_a_recorded_call_is_analysed_once_with_hold_from_its_facts(sessions, tmp_path):
    path = tmp_path / "rec" / "q-1.wav"
    write_call(path, 20.0, [(5.0, "Hello, I have a question about my invoice")],
               [(1.0, "Thank you for calling Hotline"), (9.0, "Let me check that for you")])
    CallRecordWriter(sessions).write(record("q-1", path, language="zh"))
    with sessions() as s, s.begin():
        s.add(CallFacts(call_id="q-1", hold_s=12.5, wrap_s=0.0, transferred=False, follow_up=False))
    config = load_quality("queues")
    assert analyse_call("q-1", sessions, config, engines=[]) == "analysed"
    assert analyse_call("q-1", sessions, config, engines=[]) == "analysed"     # a rerun replaces
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(CallQuality)) == 1
        row = s.get(CallQuality, "q-1")
    assert row.hold_s == 12.5 and row.first_agent_word_s == pytest.approx(1.0, abs=0.1)
    assert row.duration_s == pytest.approx(20.0) and row.agent_id == "alice" and row.queue == "support"
    assert row.transcript_status == "not available for zh" and row.transcript == {} and row.phrases == {}
    assert row.metrics["agent"] and row.metrics["caller"]
    # the automatic score has the acoustic criteria; phrase criteria have no transcript to judge
    results = {r["id"]: r for r in row.auto_results}
    assert results["first_word"]["passed"] is True and results["greeting"]["points"] is None
    assert row.auto_score is not None


def test_no_recording_is_nothing_to_do(sessions):
    rec = record("q-2", "x")
    rec["recording_path"] = None
    CallRecordWriter(sessions).write(rec)
    assert analyse_call("q-2", sessions, load_quality("queues"), engines=[]) == "no recording"


def test_a_missing_file_is_retried(sessions, tmp_path):
    CallRecordWriter(sessions).write(record("q-3", tmp_path / "not-yet.wav"))
    with pytest.raises(FileNotFoundError):
        analyse_call("q-3", sessions, load_quality("queues"), engines=[])


def test_a_recording_that_is_not_a_wav_is_reported_not_retried(sessions, tmp_path):
    path = tmp_path / "q-7.mp3"
    path.write_bytes(b"ID3 not a wave file")
    CallRecordWriter(sessions).write(record("q-7", path))
    assert analyse_call("q-7", sessions, load_quality("queues"), engines=[]).startswith("not analysed:")
    with sessions() as s:
        assert s.get(CallQuality, "q-7") is None


class FakeQueue:
    def __init__(self):
        self.jobs: dict[str, tuple] = {}

    def fetch_job(self, job_id):
        return self.jobs.get(job_id)

    def enqueue(self, func, *args, job_id, **_):
        self.jobs[job_id] = (func, args)


def test_wrap_up_fans_out_the_quality_job_for_recorded_calls_only():
    queue = FakeQueue()
    call = SimpleNamespace(call_id="q-4", recording_path="/rec/q-4.wav", disposition=None)
    settings = Settings(sms_provider="", crm_writeback_url="")
    assert fan_out(queue, call, [], settings) == ["archive-q-4", "quality-q-4"]
    assert queue.jobs["quality-q-4"] == ("worker.quality.analyse_call", ("q-4",))
    assert fan_out(queue, call, [], settings) == []     # already enqueued
    unrecorded = SimpleNamespace(call_id="q-5", recording_path=None, disposition=None)
    assert fan_out(queue, unrecorded, [], settings) == []


def test_an_english_call_gets_its_transcript_phrases_and_automatic_score(sessions, tmp_path):
    path = tmp_path / "rec" / "q-6.wav"
    write_call(path, 20.0, [(5.0, "Hello, I have a question about my invoice")],
               [(1.0, "Thank you for calling Hotline, my name is Alice"),
                (10.0, "That is a stupid question")], rate=16000)
    CallRecordWriter(sessions).write(record("q-6", path, language="en"))
    assert analyse_call("q-6", sessions, load_quality("queues")) == "analysed"     # the configured engines
    with sessions() as s:
        row = s.get(CallQuality, "q-6")
    assert row.transcript_status == "done" and "calling" in row.transcript["agent"]["text"]
    assert row.phrases["greeting"]["ok"] is True and row.phrases["forbidden"]["ok"] is False
    results = {r["id"]: r for r in row.auto_results}
    assert results["no_forbidden"]["passed"] is False and results["greeting"]["passed"] is True
    assert row.auto_passed is False       # a critical criterion failed

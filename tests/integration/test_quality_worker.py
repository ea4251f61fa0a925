"""Done-when of issue 20's quality half: a recorded call has its metrics and automatic score within a
minute of wrap-up. A real `hotline worker` process runs the wrap-up job of a call whose stereo recording
(espeak-ng speech, 16 kHz) is on disk; the fan-out archives the recording and analyses it."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from control.config import ROOT
from tests.quality_audio import needs_espeak, write_call

pytestmark = [pytest.mark.integration, needs_espeak]


def test_a_recorded_call_is_scored_by_the_worker_within_a_minute(redis_url, redis_client, redis_prefix, tmp_path):
    from control.domain.job_ids import wrapup_job_id
    from records.calls import CallRecordWriter
    from records.db import session_factory
    from records.migrate import ensure_schema
    from records.quality_models import CallQuality
    from records.wrapup_models import Recording
    from worker.queues import job_queue

    url = f"sqlite:///{tmp_path / 'w.db'}"
    ensure_schema(url)
    sessions = session_factory(url)
    wav = tmp_path / "recordings" / "qw-1.wav"
    write_call(wav, 15.0, [(5.0, "Hello, I have a question about my invoice")],
               [(1.0, "Thank you for calling Hotline, my name is Alice")], rate=16000)
    now = time.time()
    CallRecordWriter(sessions).write({
        "call_id": "qw-1", "caller": "+14155550100", "did": "+18005550100", "customer_id": None,
        "queue": "support", "agent_id": "alice", "ivr_path": [], "entered_at": now - 30, "offered_at": now - 25,
        "answered_at": now - 20, "ended_at": now, "wait_s": 10.0, "talk_s": 20.0, "outcome": "answered",
        "hangup_cause": "NORMAL_CLEARING", "disposition": None, "recording_path": str(wav), "offers": ["alice"],
        "explanations": [], "language": "en", "priority": 0, "tier": None})
    queue = job_queue(f"{redis_prefix}-wrapup", redis_client)
    queue.enqueue("worker.wrapup.finalize_call", "qw-1", job_id=wrapup_job_id("qw-1"))
    env = {**os.environ, "DATABASE_URL": url, "HOTLINE_REDIS_URL": redis_url, "HOTLINE_RQ_QUEUE": queue.name,
           "HOTLINE_DEMO_MODE": "1", "HOTLINE_WORKER_METRICS_PORT": "0", "HOTLINE_SMS_PROVIDER": "",
           "HOTLINE_ARCHIVE_DIR": str(tmp_path / "archive"), "HOTLINE_RECORDINGS_DIR": str(tmp_path / "recordings")}
    started = time.monotonic()
    try:
        with open(tmp_path / "worker.log", "wb") as out:
            proc = subprocess.run([sys.executable, "-m", "control.cli", "worker", "--burst"], env=env, cwd=ROOT,
                                  stdout=out, stderr=subprocess.STDOUT, timeout=120)
        elapsed = time.monotonic() - started
        log = (tmp_path / "worker.log").read_text()
        assert proc.returncode == 0, log
        with sessions() as s:
            row = s.get(CallQuality, "qw-1")
            archived = s.query(Recording).filter_by(call_id="qw-1").one_or_none()
        assert row is not None, log
        assert archived is not None and not wav.exists()          # analysed from the archived copy
        assert row.auto_score is not None and row.transcript_status == "done"
        assert row.first_agent_word_s == pytest.approx(1.0, abs=0.1)
        assert elapsed < 60, f"wrap-up to score took {elapsed:.1f} s"
    finally:
        for key in redis_client.scan_iter(match=f"rq:*{redis_prefix}*", count=1000):
            redis_client.delete(key)

"""Archiving a recording moves the file and every path that pointed at it (issue 15, defect 5)."""
from __future__ import annotations

import time
import uuid
import wave
from pathlib import Path

import pytest
from sqlalchemy import select

from records.calls import CallRecordWriter
from records.db import session_factory
from records.migrate import ensure_schema
from records.models import Call
from records.wrapup_models import Recording
from worker.recordings import archive_recording
from worker.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sessions(pg_database_url):
    ensure_schema(pg_database_url)
    return session_factory(pg_database_url)


def write_wav(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x01\x00" * 8000)


def recorded_call(sessions, source: Path) -> str:
    call_id = f"rec-{uuid.uuid4().hex[:10]}"
    now = time.time()
    CallRecordWriter(sessions).write({
        "call_id": call_id, "caller": "+14155550100", "did": "+18005550100", "customer_id": None,
        "queue": "support", "agent_id": "alice", "ivr_path": [], "entered_at": now - 60, "offered_at": now - 50,
        "answered_at": now - 45, "ended_at": now, "wait_s": 15.0, "talk_s": 45.0, "outcome": "answered",
        "hangup_cause": "NORMAL_CLEARING", "disposition": None, "recording_path": str(source),
        "offers": ["alice"], "explanations": [], "language": "en", "priority": 0, "tier": None})
    return call_id


def paths(sessions, call_id: str) -> tuple[str, str]:
    with sessions() as session:
        call = session.scalar(select(Call).where(Call.call_id == call_id))
        rec = session.scalar(select(Recording).where(Recording.call_id == call_id))
        return call.recording_path, rec.path


def test_the_call_record_points_at_the_archived_file(sessions, tmp_path):
    source = tmp_path / "recordings" / "call.wav"
    write_wav(source)
    call_id = recorded_call(sessions, source)
    settings = Settings(archive_dir=tmp_path / "archive")

    assert archive_recording(call_id, sessions, settings) == "archived"

    call_path, archived = paths(sessions, call_id)
    assert not source.exists() and Path(archived).exists()
    assert call_path == archived


def test_a_rerun_after_the_commit_still_deletes_the_source(sessions, tmp_path):
    """A crash between the commit and the delete: the call now names the archive, yet the rerun
    still finds the original file (kept in the effect's detail) and removes it."""
    source = tmp_path / "recordings" / "call.wav"
    write_wav(source)
    call_id = recorded_call(sessions, source)
    settings = Settings(archive_dir=tmp_path / "archive")
    archive_recording(call_id, sessions, settings)
    write_wav(source)                     # as if the delete had not happened

    assert archive_recording(call_id, sessions, settings) == "already archived"
    call_path, archived = paths(sessions, call_id)
    assert not source.exists() and call_path == archived and Path(archived).exists()

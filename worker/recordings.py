"""Archive a call's recording: move it into dated storage, checksum it, link it to the customer.

Order, so that a crash anywhere is repaired by the rerun: copy to ``<dest>.part`` and fsync,
rename onto ``dest`` (atomic), write the ``recordings`` row, point ``calls.recording_path`` at
``dest`` and write the marker in one transaction (its detail keeps the source path), and only
then delete the source. A rerun after a crash before the commit copies again (same bytes); after
the commit it only finishes deleting the source.
"""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import wave
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select, update

from records.models import Call
from records.wrapup_models import Recording
from worker import effects
from worker.runtime import load_call, sessions_from_config, settings_from_env

log = logging.getLogger(__name__)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wav_duration(path: Path) -> float | None:
    try:
        with wave.open(str(path), "rb") as w:
            rate = w.getframerate()
            return round(w.getnframes() / rate, 3) if rate else None
    except (wave.Error, EOFError):
        return None


def archive_path(archive_dir: Path, call_id: str, when: datetime | None, source: str) -> Path:
    when = when or datetime.now(timezone.utc)
    suffix = Path(source).suffix or ".wav"
    return Path(archive_dir) / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}" / f"{call_id}{suffix}"


def _copy_atomically(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    with open(src, "rb") as fin, open(part, "wb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        fout.flush()
        os.fsync(fout.fileno())
    os.replace(part, dest)


def _finish_delete(sessions, call_id: str, src: Path, existing: Recording) -> None:
    """A rerun after the commit: the call already names the archive, so the source to delete is
    the one the marker kept (deleted only when the archived copy is intact)."""
    marker = effects.find(sessions, f"archive:{call_id}")
    source = Path((marker.detail or {}).get("source") or src) if marker is not None else src
    dest = Path(existing.path)
    if source.exists() and source != dest and dest.exists() and sha256_of(dest) == existing.sha256:
        source.unlink()


def archive_recording(call_id: str, sessions=None, settings=None) -> str:
    sessions = sessions or sessions_from_config()
    settings = settings or settings_from_env()
    with sessions() as session:
        call = load_call(session, call_id)
        existing = session.scalar(select(Recording).where(Recording.call_id == call_id))
    if not call.recording_path:
        return "no recording"
    src = Path(call.recording_path)
    if existing is not None:
        _finish_delete(sessions, call_id, src, existing)
        return "already archived"
    dest = archive_path(settings.archive_dir, call_id, call.ended_at or call.entered_at, str(src))
    if src.exists():
        _copy_atomically(src, dest)
    elif not dest.exists():
        raise FileNotFoundError(f"recording of {call_id} is missing: {src}")   # retried: may still be written
    checksum, size, duration = sha256_of(dest), dest.stat().st_size, wav_duration(dest)

    def add_row(session):
        session.add(Recording(call_id=call_id, customer_id=call.customer_id, path=str(dest), sha256=checksum,
                              size_bytes=size, duration_s=duration))
        session.execute(update(Call).where(Call.call_id == call_id).values(recording_path=str(dest)))
        return {"path": str(dest), "sha256": checksum, "source": str(src)}

    result = effects.apply_once(sessions, f"archive:{call_id}", call_id, "archive", add_row)
    if src.exists() and src != dest:
        src.unlink()
    log.info("archived recording of %s to %s (%s)", call_id, dest, result)
    return "archived" if result == "done" else "already archived"

"""What every wrap-up job needs: sessions, settings, the call row, and whether this is the last try."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pathlib import Path

from sqlalchemy import select

from control.config import load_config
from worker.settings import Settings


class RecordNotWrittenYet(RuntimeError):
    """The controller buffers records while the database is away; RQ retries the job later."""


def sessions_from_config():
    from records.db import session_factory

    return session_factory(load_config().database_url)


def settings_from_env() -> Settings:
    """The worker's settings; the archive folder is the configuration's (file, then environment),
    the one the console serves recordings from."""
    return replace(Settings.from_env(), archive_dir=Path(load_config().archive_dir))


class _Thresholds:
    """The last thresholds read and the queue files' fingerprint they were read from."""
    fingerprint: tuple = ()
    value = None


def _fingerprint(directory: Path) -> tuple:
    try:
        return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                            for p in directory.rglob("*") if p.is_file()))
    except OSError:
        return ()


def queue_thresholds():
    """The report rollup's service levels from the queue files, parsed again only when a file changed:
    parsing the YAML costs more than the rest of a wrap-up job, and a worker process runs many jobs."""
    from reports.rollup import configured_thresholds

    fingerprint = _fingerprint(Path(load_config().queues_dir))
    if _Thresholds.value is None or not fingerprint or fingerprint != _Thresholds.fingerprint:
        _Thresholds.value, _Thresholds.fingerprint = configured_thresholds(), fingerprint
    return _Thresholds.value


def load_call(session, call_id: str):
    from records.models import Call

    call = session.scalar(select(Call).where(Call.call_id == call_id))
    if call is None:
        raise RecordNotWrittenYet(call_id)
    return call


def final_attempt() -> bool:
    """True outside RQ, or when RQ has no retry left after this run."""
    from rq import get_current_job

    job = get_current_job()
    return job is None or not job.retries_left

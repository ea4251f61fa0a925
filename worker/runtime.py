"""What every wrap-up job needs: sessions, settings, the call row, and whether this is the last try."""
from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import bindparam, select

from control.config import Config, load_config
from records.models import Call
from worker.settings import Settings


class RecordNotWrittenYet(RuntimeError):
    """The controller buffers records while the database is away; RQ retries the job later."""


# The configuration, the settings and the queue files' fingerprint are read again at most this often:
# a worker process runs thousands of jobs, each of which needs them.
RECHECK_S = 5.0


class _Read:
    """What was read last, from which environment, and when (monotonic clock)."""
    config: Config | None = None
    settings: Settings | None = None
    env: tuple = ()
    at = float("-inf")


def _environment() -> tuple:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("HOTLINE_") or k.endswith("_URL")))


def _fresh() -> None:
    """Forget what was read when the environment changed or RECHECK_S has passed."""
    env, at = _environment(), time.monotonic()
    if env != _Read.env or at - _Read.at >= RECHECK_S:
        _Read.config = _Read.settings = None
        _Read.env, _Read.at = env, at


def _config():
    _fresh()
    if _Read.config is None:
        _Read.config = load_config()
    return _Read.config


def sessions_from_config():
    """The worker's engine pings no connection before use (records/db.py): a job that meets a dropped
    connection fails and RQ retries it."""
    from records.db import session_factory

    return session_factory(_config().database_url, pre_ping=False)


def settings_from_env() -> Settings:
    """The worker's settings; the archive folder is the configuration's (file, then environment),
    the one the console serves recordings from."""
    config = _config()
    if _Read.settings is None:
        _Read.settings = replace(Settings.from_env(), archive_dir=Path(config.archive_dir))
    return _Read.settings


class _Thresholds:
    """The last thresholds read, the queue files' fingerprint they were read from, and when it was taken."""
    fingerprint: tuple = ()
    value = None
    checked_at = float("-inf")
    env: tuple = ()


def _fingerprint(directory: Path) -> tuple:
    try:
        return tuple(sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size)
                            for p in directory.rglob("*") if p.is_file()))
    except OSError:
        return ()


def queue_thresholds():
    """The report rollup's service levels from the queue files, parsed again only when a file changed
    (looked at every RECHECK_S): parsing the YAML costs more than the rest of a wrap-up job, and a
    worker process runs many jobs."""
    from reports.rollup import configured_thresholds

    config, at = _config(), time.monotonic()
    if _Thresholds.value is not None and _Thresholds.env == _Read.env and at - _Thresholds.checked_at < RECHECK_S:
        return _Thresholds.value
    fingerprint = _fingerprint(Path(config.queues_dir))
    if _Thresholds.value is None or not fingerprint or fingerprint != _Thresholds.fingerprint:
        _Thresholds.value, _Thresholds.fingerprint = configured_thresholds(), fingerprint
    _Thresholds.checked_at, _Thresholds.env = at, _Read.env
    return _Thresholds.value


_CALL = select(Call).where(Call.call_id == bindparam("call_id"))   # built once, run by every job


def load_call(session, call_id: str):
    call = session.scalar(_CALL, {"call_id": call_id})
    if call is None:
        raise RecordNotWrittenYet(call_id)
    return call


def final_attempt() -> bool:
    """True outside RQ, or when RQ has no retry left after this run."""
    from rq import get_current_job

    job = get_current_job()
    return job is None or not job.retries_left

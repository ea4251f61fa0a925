"""What every wrap-up job needs: sessions, settings, the call row, and whether this is the last try."""
from __future__ import annotations

from dataclasses import replace
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

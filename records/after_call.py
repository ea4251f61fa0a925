"""The transactional outbox of after-call work (table ``after_call_outbox``).

A call record and its outbox row are written in one transaction (records/calls.py), so a finished
call's wrap-up is on disk as soon as its record is. ``worker.wrapup.finalize_call`` marks the row
done once it has run and fanned out the follow-on jobs. The wrap-up job itself lives in Redis (RQ):
if Redis loses it (a restart without persistence, FLUSHDB, a failover that dropped the last writes),
``sweep`` enqueues it again for every row still pending. Jobs are idempotent and their ids derived
from the call id (control/domain/job_ids.py), and a job RQ still knows is not enqueued twice, so a
sweep is safe to run at any time, by any number of processes.

When Redis came back empty the follow-on jobs (archive, SMS, webhooks, CRM) fanned out by finished
wrap-ups may be gone too: ``replay`` marks the rows done within a window pending again, so their
wrap-up runs once more and fans out again; each side effect is kept once by its effect key
(worker/effects.py).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Iterable, cast

from sqlalchemy import Table, bindparam, delete, select, update

from control.domain.job_ids import WRAPUP_JOB, wrapup_job_id
from records.models import AfterCallWork

log = logging.getLogger(__name__)

GRACE_S = 60.0        # a younger row's job is being enqueued by the writer that wrote it
RETRY_S = 120.0       # a pending row is enqueued again at most this often
KEEP_DONE_S = 7 * 86400


def _now(now: float | None) -> datetime:
    return datetime.fromtimestamp(now, tz=timezone.utc) if now is not None else datetime.now(timezone.utc)


def add_pending(session, call_ids: Iterable[str], now: float | None = None) -> int:
    """Rows for the calls that have none, in the caller's transaction (with the call records)."""
    ids = list(dict.fromkeys(call_ids))
    if not ids:
        return 0
    known: set[str] = set()
    for start in range(0, len(ids), 500):
        known.update(session.scalars(select(AfterCallWork.call_id)
                                     .where(AfterCallWork.call_id.in_(ids[start:start + 500]))))
    at = _now(now)
    fresh = [AfterCallWork(call_id=i, created_at=at, attempts=0) for i in ids if i not in known]
    session.add_all(fresh)
    return len(fresh)


_OUTBOX = cast(Table, AfterCallWork.__table__)
# built once, a plain UPDATE (no ORM bulk-update bookkeeping): every wrap-up job runs it
_MARK_DONE = (update(_OUTBOX).where(_OUTBOX.c.call_id == bindparam("b_call_id"), _OUTBOX.c.done_at.is_(None))
              .values(done_at=bindparam("b_done_at")))


def mark_done(session, call_id: str, now: float | None = None) -> None:
    """In the caller's transaction: the wrap-up of ``call_id`` has run and fanned out."""
    session.connection().execute(_MARK_DONE, {"b_call_id": call_id, "b_done_at": _now(now)})


def pending(sessions) -> list[str]:
    with sessions() as session:
        return list(session.scalars(select(AfterCallWork.call_id).where(AfterCallWork.done_at.is_(None))
                                    .order_by(AfterCallWork.id)))


def sweep(sessions, jobs, now: float | None = None, grace_s: float = GRACE_S, retry_s: float = RETRY_S,
          limit: int = 1000) -> int:
    """Enqueue the wrap-up job (ports.JobQueue) of each pending row older than ``grace_s`` not
    enqueued by a sweep in the last ``retry_s``; returns how many were handed to the queue (a job
    the queue still holds is skipped there). Also forgets rows done more than a week ago."""
    at = _now(now)
    with sessions() as session, session.begin():
        rows = session.scalars(
            select(AfterCallWork).where(AfterCallWork.done_at.is_(None),
                                        AfterCallWork.created_at < at - timedelta(seconds=grace_s),
                                        (AfterCallWork.enqueued_at.is_(None))
                                        | (AfterCallWork.enqueued_at < at - timedelta(seconds=retry_s)))
            .order_by(AfterCallWork.id).limit(limit)).all()
        if rows:
            jobs.enqueue_many(WRAPUP_JOB, [((row.call_id,), wrapup_job_id(row.call_id)) for row in rows])
            for row in rows:
                row.enqueued_at, row.attempts = at, row.attempts + 1
            log.info("after-call outbox: enqueued the wrap-up of %d calls again (%s...)", len(rows), rows[0].call_id)
        session.execute(delete(AfterCallWork).where(AfterCallWork.done_at < at - timedelta(seconds=KEEP_DONE_S)))
    return len(rows)


def replay(sessions, since_s: float, now: float | None = None) -> int:
    """Redis lost its data: the wrap-ups done in the last ``since_s`` are pending again (their
    follow-on jobs may have been lost with it); the next sweep enqueues them. Returns how many."""
    at = _now(now)
    with sessions() as session, session.begin():
        result = session.execute(update(AfterCallWork)
                                 .where(AfterCallWork.done_at >= at - timedelta(seconds=since_s))
                                 .values(done_at=None, enqueued_at=None))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        log.warning("Redis lost its data: the wrap-up of %d calls done in the last %d s runs again", count, since_s)
    return count

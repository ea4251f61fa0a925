"""After-call work that runs on RQ. Every job is idempotent: a rerun changes nothing more.

``finalize_call`` is enqueued by the controller when a call ends (job id ``wrapup-<call id>``).
It adds the call to the customer's history and marks the record finalised; the marker and the
history entry are written in one transaction, so a retried job never doubles either. Then it
counts the call in the report rollup (reports/rollup.py, idempotent: recomputed, not added). Then it
fans out the other jobs (worker/fanout.py, deterministic job ids): archive the recording,
analyse it (worker/quality.py), ticket, post-call SMS, CRM write-back, one webhook delivery per active target. The fan-out runs
on every rerun too, so a crash between the commit and the enqueue loses nothing. Last, the call's
row in the after-call outbox (records/after_call.py, written with the call record) is marked done; a
row left pending is enqueued again by the sweep, so a job Redis lost is not lost.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import select

from worker.payload import summary
from worker.runtime import (RecordNotWrittenYet, load_call, queue_thresholds, sessions_from_config,
                            settings_from_env)

log = logging.getLogger(__name__)

FINALIZED = "call.finalized"
__all__ = ["FINALIZED", "RecordNotWrittenYet", "finalize_call", "summary"]


def finalize_call(call_id: str, sessions=None, queue=None, settings=None, thresholds=None) -> str:
    """``queue``: where to fan out (default: the RQ queue this job runs on; none outside RQ).
    ``thresholds``: the report rollup's service-level thresholds (default: the queue files)."""
    from records.models import AuditLog, Interaction

    sessions = sessions or sessions_from_config()
    result = "finalized"
    with sessions() as session, session.begin():
        call = load_call(session, call_id)
        done = session.scalar(select(AuditLog).where(AuditLog.action == FINALIZED, AuditLog.target == call_id))
        if done is not None:
            result = "already finalized"
        else:
            if call.customer_id is not None:
                session.add(Interaction(customer_id=call.customer_id, channel="call", summary=summary(call),
                                        at=call.ended_at or datetime.now(timezone.utc)))
            session.add(AuditLog(who="worker", action=FINALIZED, target=call_id,
                                 details={"outcome": call.outcome, "queue": call.queue, "agent": call.agent_id}))
    log.info("finalize %s: %s", call_id, result)
    _roll_up(call_id, sessions, thresholds)
    _fan_out(call, sessions, queue, settings)
    _done(call_id, sessions)
    return result


def _done(call_id: str, sessions) -> None:
    """The call's row in the after-call outbox is done (records/after_call.py): only now, after the
    fan-out, so a run that stopped before it leaves the row pending and the sweep enqueues it again."""
    from records.after_call import mark_done

    with sessions() as session, session.begin():
        mark_done(session, call_id)


def _roll_up(call_id: str, sessions, thresholds) -> None:
    """Count the call in the 15-minute report rollup; on every run, as it is idempotent."""
    from reports.rollup import refresh_call

    with sessions() as session, session.begin():
        refresh_call(session, call_id, thresholds or queue_thresholds())


def _fan_out(call, sessions, queue, settings) -> list[str]:
    from worker.fanout import current_queue, fan_out
    from worker.webhooks import active_target_ids

    queue = queue or current_queue()
    if queue is None:
        return []
    return fan_out(queue, call, active_target_ids(sessions), settings or settings_from_env())

"""After-call work that runs on RQ. Every job is idempotent: a rerun changes nothing more.

``finalize_call`` is enqueued by the controller when a call ends (job id ``wrapup-<call id>``).
In one transaction it adds the call to the customer's history, marks the record finalised (the
marker and the history entry commit together, so a retried job never doubles either), counts the
call in the report rollup (reports/rollup.py, idempotent: a rerun changes nothing) and, when the
job fans out, claims the post-call SMS (worker/sms.py). Then it fans out the other jobs
(worker/fanout.py, deterministic job ids): archive the recording, analyse it (worker/quality.py),
ticket, CRM write-back, one webhook delivery per active target; and sends the SMS itself (a send
that surely failed becomes a ``send_survey`` job, retried by RQ). The fan-out runs on every rerun
too, so a crash between the commit and the enqueue loses nothing. Last, in a second transaction,
the SMS's result is recorded and the call's row in the after-call outbox (records/after_call.py,
written with the call record) is marked done; a row left pending is enqueued again by the sweep,
so a job Redis lost is not lost, and the rerun finds the SMS claimed and does not send it twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import cast

from sqlalchemy import Table, bindparam, insert, select

from records.models import AuditLog, Interaction
from worker.payload import summary
from worker.runtime import (RecordNotWrittenYet, load_call, queue_thresholds, sessions_from_config,
                            settings_from_env)

log = logging.getLogger(__name__)

FINALIZED = "call.finalized"
__all__ = ["FINALIZED", "RecordNotWrittenYet", "finalize_call", "summary"]
_MARKER = select(AuditLog.id).where(AuditLog.action == FINALIZED, AuditLog.target == bindparam("call_id"))
# Plain INSERTs, built once (no ORM unit of work for two rows every job writes).
_ADD_AUDIT = insert(cast(Table, AuditLog.__table__))
_ADD_INTERACTION = insert(cast(Table, Interaction.__table__))


def finalize_call(call_id: str, sessions=None, queue=None, settings=None, thresholds=None) -> str:
    """``queue``: where to fan out (default: the RQ queue this job runs on; none outside RQ, and then
    no follow-on work and no SMS). ``thresholds``: the report rollup's service-level thresholds
    (default: the queue files)."""
    from reports.rollup import refresh_call
    from worker.fanout import current_queue
    from worker.webhooks import active_target_ids

    sessions = sessions or sessions_from_config()
    queue = queue or current_queue()
    settings = (settings or settings_from_env()) if queue is not None else None
    sms = None
    with sessions() as session, session.begin():
        call = load_call(session, call_id)
        result = _finalize(session, call)
        refresh_call(session, call_id, thresholds or queue_thresholds(), call=call)
        if settings is not None:
            targets = active_target_ids(session)
            sms = _claim_sms(session, call, settings)
    log.info("finalize %s: %s", call_id, result)
    sent = None
    if settings is not None:
        _fan_out(queue, call, targets, settings)
        sent = _send_sms(queue, call, settings, sms)
    _done(call_id, sessions, sent)
    return result


def _finalize(session, call) -> str:
    done = session.scalar(_MARKER, {"call_id": call.call_id})
    if done is not None:
        return "already finalized"
    connection = session.connection()
    if call.customer_id is not None:
        connection.execute(_ADD_INTERACTION, {"customer_id": call.customer_id, "channel": "call",
                                              "summary": summary(call),
                                              "at": call.ended_at or datetime.now(timezone.utc)})
    connection.execute(_ADD_AUDIT, {"who": "worker", "action": FINALIZED, "target": call.call_id,
                                    "details": {"outcome": call.outcome, "queue": call.queue, "agent": call.agent_id}})
    return "finalized"


_OWN_JOB = "own job"   # _claim_sms: the SMS is left to a send_survey job of its own


def _claim_sms(session, call, settings):
    """The SMS's provider when this run is to send it (claimed in the wrap-up's transaction); None
    when there is nothing to send; _OWN_JOB when the provider cannot be built (a configuration error:
    the SMS job fails with it, visibly, and the rest of the wrap-up goes on)."""
    from worker import effects
    from worker.sms import claim_survey
    from worker.sms_providers import provider_for

    if not settings.sms_provider:
        return None
    try:
        provider = provider_for(settings)
    except ValueError as exc:
        log.error("SMS for %s left to its own job: %s", call.call_id, exc)
        return _OWN_JOB
    return provider if claim_survey(session, call, provider) == effects.GO else None


def _send_sms(queue, call, settings, provider):
    """Send the claimed SMS; one that surely did not go out is handed to a job of its own (retries)."""
    from worker.sms import send_claimed

    if provider is None:
        return None
    if provider == _OWN_JOB:
        _sms_job(queue, call, settings)
        return None
    sent = send_claimed(call, settings, provider)
    if sent.failure is not None:
        log.warning("SMS for %s not sent (%s); retried by its own job", call.call_id, sent.failure)
        sent.detail["gave_up"] = False
        _sms_job(queue, call, settings)
    return sent


def _sms_job(queue, call, settings) -> None:
    from control.domain.job_ids import job_id
    from worker.fanout import JOBS, enqueue

    enqueue(queue, JOBS["sms"], call.call_id, job_id=job_id("sms", call.call_id), settings=settings)


def _done(call_id: str, sessions, sent) -> None:
    """The SMS's result, and the call's row in the after-call outbox is done (records/after_call.py):
    only now, after the fan-out, so a run that stopped before it leaves the row pending and the sweep
    enqueues it again."""
    from records.after_call import mark_done
    from worker import effects
    from worker.sms import survey_key

    with sessions() as session, session.begin():
        if sent is not None:
            effects.settle_in(session, survey_key(call_id), sent.status, sent.detail, sent.error)
        mark_done(session, call_id)


def _fan_out(queue, call, target_ids: list[int], settings) -> list[str]:
    from worker.fanout import fan_out

    return fan_out(queue, call, target_ids, settings)

"""Enqueue the follow-on wrap-up jobs of one call with deterministic job ids.

RQ job ids may hold only letters, digits, ``_`` and ``-``; ``job_id`` (control/domain/job_ids.py,
shared with the controller) keeps a call id that fits and hashes one that does not. An id already
known to RQ (queued, running, finished within ``result_ttl`` or failed) is not enqueued again; the
jobs' effect keys catch anything later.
"""
from __future__ import annotations

from rq import Queue, Retry

from control.domain.job_ids import job_id
from worker.settings import Settings

JOBS = {
    "archive": "worker.recordings.archive_recording",
    "quality": "worker.quality.analyse_call",     # docs/quality.md
    "ticket": "worker.tickets.create_ticket",
    "sms": "worker.sms.send_survey",
    "crm": "worker.crm.write_summary",
    "webhook": "worker.webhooks.deliver",
}


def retry_policy(settings: Settings) -> Retry | None:
    intervals = list(settings.retry_intervals)
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def enqueue(queue: Queue, func_path: str, *args, job_id: str, settings: Settings) -> bool:
    if queue.fetch_job(job_id) is not None:
        return False
    queue.enqueue(func_path, *args, job_id=job_id, retry=retry_policy(settings),
                  result_ttl=86400, failure_ttl=30 * 86400)
    return True


def current_queue() -> Queue | None:
    from rq import get_current_job

    job = get_current_job()
    return Queue(job.origin, connection=job.connection, serializer=job.serializer) if job is not None else None


def fan_out(queue: Queue, call, target_ids: list[int], settings: Settings) -> list[str]:
    """The jobs that apply to this call; returns the ids newly enqueued. The post-call SMS has no job
    here: the wrap-up sends it itself, and enqueues ``sms`` only to retry a send that failed."""
    wanted: list[tuple[str, tuple]] = []
    if call.recording_path:
        wanted.append(("archive", ()))
        wanted.append(("quality", ()))
    if call.disposition in settings.ticket_dispositions:
        # A follow-up flag needs no job from here: the console enqueues one when the agent sets it
        # (enqueue_ticket), before or after this runs. Most calls ask for no ticket: one job fewer.
        wanted.append(("ticket", ()))
    if settings.crm_writeback_url:
        wanted.append(("crm", ()))
    wanted += [("webhook", (target,)) for target in target_ids]
    done = []
    for kind, extra in wanted:
        jid = job_id(kind, call.call_id, *extra)
        if enqueue(queue, JOBS[kind], call.call_id, *extra, job_id=jid, settings=settings):
            done.append(jid)
    return done


def enqueue_ticket(queue: Queue, call_id: str, settings: Settings | None = None) -> bool:
    """For the console after ``records.call_facts.mark_follow_up`` (finalize may have run already).

    A distinct id per request: the ticket job's effect key still allows only one ticket.
    """
    import uuid

    return enqueue(queue, JOBS["ticket"], call_id, job_id=job_id("ticket", call_id, uuid.uuid4().hex[:8]),
                   settings=settings or Settings.from_env())

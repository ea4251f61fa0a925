"""RQ adapter for after-call work (ports.JobQueue)."""
from __future__ import annotations

import logging

from rq import Queue, Retry
from rq.job import Job, validate_job_id

from worker.queues import job_queue

log = logging.getLogger(__name__)
RESULT_TTL_S = 86400
FAILURE_TTL_S = 7 * 86400


def _retry() -> Retry:
    return Retry(max=5, interval=[1, 5, 15, 60, 300])


class RQJobs:
    def __init__(self, client, queue_name: str):
        self.queue = job_queue(queue_name, client)   # JSON, not pickle (worker/queues.py)

    def enqueue(self, func_path: str, *args, job_id: str | None = None, **kwargs) -> None:
        if job_id and self.queue.fetch_job(job_id) is not None:
            return  # already enqueued (or done): a rerun must not double the work
        self.queue.enqueue(func_path, *args, job_id=job_id, retry=_retry(), result_ttl=RESULT_TTL_S,
                           failure_ttl=FAILURE_TTL_S, **kwargs)

    def enqueue_many(self, func_path: str, jobs: list[tuple[tuple, str]]) -> None:
        """(args, job_id) pairs in two round trips however many: which ids exist already (those are
        skipped, as in ``enqueue``), then the new jobs in one pipeline."""
        pipe = self.queue.connection.pipeline(transaction=False)
        for _, job_id in jobs:
            pipe.exists(Job.key_for(job_id))
        fresh = [(args, job_id) for (args, job_id), seen in zip(jobs, pipe.execute()) if not seen]
        if fresh:
            self.queue.enqueue_many([Queue.prepare_data(func_path, args=args, job_id=job_id, retry=_retry(),
                                                        result_ttl=RESULT_TTL_S, failure_ttl=FAILURE_TTL_S)
                                    for args, job_id in fresh])


class MemoryJobs:
    """ports.JobQueue in memory; refuses the job ids RQ refuses, so tests meet the same errors."""

    def __init__(self):
        self.jobs: dict[str, tuple[str, tuple]] = {}

    def enqueue(self, func_path: str, *args, job_id: str | None = None, **kwargs) -> None:
        if job_id is not None:
            validate_job_id(job_id)
        self.jobs.setdefault(job_id or f"job-{len(self.jobs)}", (func_path, args))

    def enqueue_many(self, func_path: str, jobs: list[tuple[tuple, str]]) -> None:
        for _, job_id in jobs:   # all or nothing, as RQ's enqueue_many
            validate_job_id(job_id)
        for args, job_id in jobs:
            self.enqueue(func_path, *args, job_id=job_id)

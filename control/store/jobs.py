"""RQ adapter for after-call work (ports.JobQueue)."""
from __future__ import annotations

import logging

from rq import Queue, Retry

log = logging.getLogger(__name__)


class RQJobs:
    def __init__(self, client, queue_name: str):
        self.queue = Queue(queue_name, connection=client)

    def enqueue(self, func_path: str, *args, job_id: str | None = None, **kwargs) -> None:
        if job_id and self.queue.fetch_job(job_id) is not None:
            return  # already enqueued (or done): a rerun must not double the work
        self.queue.enqueue(func_path, *args, job_id=job_id, retry=Retry(max=5, interval=[1, 5, 15, 60, 300]),
                           result_ttl=86400, failure_ttl=7 * 86400, **kwargs)


class MemoryJobs:
    def __init__(self):
        self.jobs: dict[str, tuple[str, tuple]] = {}

    def enqueue(self, func_path: str, *args, job_id: str | None = None, **kwargs) -> None:
        self.jobs.setdefault(job_id or f"job-{len(self.jobs)}", (func_path, args))

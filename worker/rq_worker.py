"""The RQ worker class of `hotline worker`: rq's SimpleWorker (every job in this process, no fork)
with fewer Redis round trips of its own bookkeeping per job.

SimpleWorker renews the worker's key (three commands, one round trip each) before it waits for a
job, after it took one and after running it, and writes its state ``idle`` twice in a row. Here the
renewal before the wait and after the dequeue happens only when the last one is older than
``HEARTBEAT_EVERY_S`` and the key still has the full TTL (worker_ttl + 60 s: 480 s, while a wait for
a job lasts at most worker_ttl - 15 s), in one round trip; the renewal after each job, which puts
back the full TTL the job's preparation shortened, still happens, in one round trip; an unchanged
state is not written again. The job's own bookkeeping (registries, executions, results, retries,
the failed-jobs registry) is RQ's, unchanged.
"""
from __future__ import annotations

import time

from rq import SimpleWorker

HEARTBEAT_EVERY_S = 5.0


class WrapUpWorker(SimpleWorker):
    _full_ttl_at = float("-inf")   # when the key last got the full TTL (monotonic clock)

    def heartbeat(self, timeout: int | None = None, pipeline=None):
        if timeout is not None or pipeline is not None:
            self._full_ttl_at = float("-inf")   # a job's TTL (or another caller's): renew in full next time
            return super().heartbeat(timeout, pipeline)
        at = time.monotonic()
        if at - self._full_ttl_at < HEARTBEAT_EVERY_S:
            return None
        pipe = self.connection.pipeline(transaction=False)
        super().heartbeat(pipeline=pipe)
        pipe.execute()
        self._full_ttl_at = at
        return None

    def set_state(self, state: str, pipeline=None):
        if pipeline is None and state == getattr(self, "_state", None):
            return
        super().set_state(state, pipeline)

"""Writes that may trail the call by a few milliseconds, batched: call records and agent state history.

One greenlet per kind drains a bounded queue and hands what it holds (up to ``max_batch``) to
the thread pool as one transaction. One SQL commit per call and four per agent cycle, each
from its own pool thread, were a third of the controller's CPU at 40 calls/s and fell behind
(docs/benchmarks.md, Soak); a batch costs about one commit whatever its size.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable

import gevent
import gevent.event
import gevent.queue
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from control.domain.call_record import CallRecord
from control.domain.job_ids import WRAPUP_JOB, wrapup_job_id
from control.metrics import CALLS, backend_error
from control.ports import JobQueue
from records.calls import is_outage

log = logging.getLogger(__name__)

__all__ = ["WRAPUP_JOB", "Batcher", "QueuedRecords", "QueuedStateLog", "hand_over"]


class Batcher:
    """``put`` queues an item; one greenlet writes them with ``write_many(items)`` in the thread
    pool, then calls ``after(items)`` on the event loop. The queue is bounded: a full queue makes
    ``put`` wait (back-pressure) instead of growing memory without limit."""

    def __init__(self, write_many: Callable[[list], Any], offload: Callable[..., Any],
                 after: Callable[[list], None] | None = None, name: str = "items",
                 max_batch: int = 500, max_queued: int = 20000):
        self.write_many, self.offload, self.after, self.name = write_many, offload, after, name
        self.max_batch = max_batch
        self._queue: gevent.queue.Queue = gevent.queue.Queue(max_queued)
        self._idle = gevent.event.Event()
        self._idle.set()
        self._greenlet: gevent.Greenlet | None = None

    def put(self, item, block: bool = True) -> None:
        """Raises gevent.queue.Full when the queue is full and ``block`` is false."""
        if self._greenlet is None or self._greenlet.dead:
            self._greenlet = gevent.spawn(self._run)
        self._idle.clear()
        self._queue.put(item, block=block)

    def backlog(self) -> int:
        return self._queue.qsize()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far has been handed to ``write_many``."""
        return self._idle.wait(timeout)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except gevent.queue.Empty:
                    break
            done = self._write(batch)
            if done and self.after is not None:
                try:
                    self.after(done)
                except Exception:  # the follow-up must not stop the writer; the items are written
                    log.exception("after writing %d %s", len(done), self.name)
            if self._queue.empty():
                self._idle.set()

    def _write(self, batch: list) -> list:
        try:
            self.offload(self.write_many, batch)
            return batch
        except (SQLAlchemyError, ValueError, TypeError) as exc:
            if is_outage(exc) or len(batch) == 1:
                backend_error("database")
                log.warning("%d %s not written: %s", len(batch), self.name, exc)
                return []
            log.warning("writing %d %s as one batch failed (%s); writing them one by one",
                        len(batch), self.name, exc)
        done = []
        for item in batch:   # one bad item must not take the rest of the batch with it
            try:
                self.offload(self.write_many, [item])
                done.append(item)
            except (SQLAlchemyError, ValueError, TypeError):
                log.exception("dropping one of the %s: %r", self.name, item)
        return done


def _sweep_outbox(sessions, jobs, now: float, replay_s: float) -> int:
    from records import after_call

    if replay_s > 0:
        after_call.replay(sessions, replay_s, now)
    return after_call.sweep(sessions, jobs, now)


class JobsForLater:
    """ports.JobQueue that keeps what it is given, for ``send_to`` to enqueue on the hub."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[tuple[tuple, str]]]] = []

    def enqueue(self, func_path: str, *args: Any, job_id: str | None = None, **kwargs: Any) -> None:
        if kwargs or job_id is None:
            raise ValueError("only jobs with an id and positional arguments are kept for later")
        self.batches.append((func_path, [(args, job_id)]))

    def enqueue_many(self, func_path: str, jobs: list[tuple[tuple, str]]) -> None:
        self.batches.append((func_path, list(jobs)))

    def send_to(self, jobs: JobQueue) -> None:
        for func_path, batch in self.batches:
            jobs.enqueue_many(func_path, batch)


class QueuedRecords:
    """ports.CallRecords for the controller. ``submit`` queues a record; once its batch is written
    (or spooled, while the database is down) the call's wrap-up job is enqueued, so the job never
    runs before its record exists. ``write``/``pending``/``flush`` are the writer's, for threads."""

    def __init__(self, writer, jobs, offload, outbox=None, clock: Callable[[], float] = time.time,
                 **batch_options):
        self.writer, self.jobs, self.outbox, self.clock, self.offload = writer, jobs, outbox, clock, offload
        self.batcher = Batcher(writer.write_many, offload, after=self._written, name="call records",
                               **batch_options)

    def submit(self, record: dict) -> None:
        if not record.get("call_id"):
            raise ValueError("a call record needs a call_id")
        CALLS.labels(outcome=record.get("outcome") or "unknown").inc()
        if self.outbox is not None:
            try:
                self.outbox.add(record, self.clock())
            except RedisError:   # Redis is down: the record still goes to the database (or the spool)
                log.warning("call record %s not parked in the outbox", record["call_id"], exc_info=True)
        self.batcher.put(record)

    def drain(self, timeout: float) -> bool:
        """At shutdown: wait for what is queued to be written (what is left stays parked)."""
        return self.batcher.join(timeout)

    def recover(self, now: float, older_than_s: float) -> int:
        """Queue again the parked records of a dead (or far behind) writer; returns how many."""
        if self.outbox is None:
            return 0
        stale = self.outbox.stale(now, older_than_s)
        for record in stale:
            self.batcher.put(record)
        return len(stale)

    def sweep(self, now: float, replay_s: float = 0.0) -> int:
        """Enqueue again the wrap-up of every call whose row in the after-call outbox is still pending
        (records/after_call.py); with ``replay_s`` (Redis lost its data) the wrap-ups done in that many
        seconds first become pending again. The SQL runs in the thread pool; the jobs are enqueued
        here, on the hub (a Redis connection of the hub's pool must not be used from a pool thread)."""
        sessions = getattr(self.writer, "sessions", None)
        if sessions is None:
            return 0
        later = JobsForLater()
        count = int(self.offload(_sweep_outbox, sessions, later, now, replay_s))
        later.send_to(self.jobs)
        return count

    def write(self, record: dict) -> None:
        self.writer.write(record)

    def pending(self) -> int:
        return self.writer.pending()

    def flush(self) -> bool:
        return self.writer.flush()

    def backlog(self) -> int:
        return self.batcher.backlog()

    def _written(self, records: list) -> None:
        if self.outbox is not None:
            try:
                self.outbox.done(records)
            except RedisError:   # left parked: a reconcile pass writes them again, harmlessly
                log.warning("%d written call records left in the outbox", len(records), exc_info=True)
        self._enqueue_jobs(records)

    def _enqueue_jobs(self, records: list) -> None:
        ids = list(dict.fromkeys(r["call_id"] for r in records))
        try:
            self.jobs.enqueue_many(WRAPUP_JOB, [((call_id,), wrapup_job_id(call_id)) for call_id in ids])
        except (RedisError, ValueError):
            log.exception("wrap-up jobs for %d calls not enqueued (%s...)", len(ids), ids[0])


class QueuedStateLog:
    """The agent state history (for reports) in batches. ``put(agent_id, state, reason, at)``
    never blocks: when the database falls so far
    behind that the queue is full, the change is dropped with a warning (routing comes first)."""

    def __init__(self, append_many: Callable[[list], Any], offload, **batch_options):
        self.batcher = Batcher(append_many, offload, name="agent state changes", **batch_options)

    def put(self, agent_id: str, state: str, reason: str | None, at: float) -> None:
        try:
            self.batcher.put((agent_id, state, reason, at), block=False)
        except gevent.queue.Full:
            log.warning("agent state history is %d rows behind; dropped %s -> %s",
                        self.batcher.backlog(), agent_id, state)

    def backlog(self) -> int:
        return self.batcher.backlog()


def hand_over(deps, record: CallRecord) -> None:
    """A finished call's record to the database, then its wrap-up job (idempotent: the job id is
    derived from the call id, control/domain/job_ids.py)."""
    deps.records.submit(record.to_dict())

"""ports.Publisher on Redis: a capped stream per channel (for replay) plus pub/sub (for followers).

The stream id is the SSE ``id:``, so a console that reconnects with ``Last-Event-ID``
reads everything it missed with XREAD; pub/sub carries the same message (with its
``stream_id``) to listeners that only want live events.

The controller publishes through ``QueuedPublisher``: one script call per message, each its own
round trip from the call's greenlet, was ~17 round trips per call and ~8% of the controller's CPU.
"""
from __future__ import annotations

import json
import logging
from collections import deque
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import gevent.lock
from redis.exceptions import NoScriptError, RedisError

from control.metrics import backend_error
from control.store.keys import Keys

log = logging.getLogger(__name__)

PUBLISH_LUA = (Path(__file__).parent / "lua" / "publish.lua").read_text()


class RedisPublisher:
    def __init__(self, client, prefix: str, maxlen: int = 1000):
        self.r, self.prefix, self.maxlen, self.keys = client, prefix, maxlen, Keys(prefix)
        self._publish = client.register_script(PUBLISH_LUA)   # XADD + PUBLISH in one round trip

    def stream_key(self, channel: str) -> str:
        return self.keys.stream(channel)

    def pubsub_channel(self, channel: str) -> str:
        return self.keys.events(channel)

    def encode(self, message: dict[str, Any]) -> str:
        return json.dumps({k: v for k, v in message.items() if k != "stream_id"}, default=str)

    def publish(self, channel: str, message: dict[str, Any]) -> str:
        stream_id = self._publish(keys=[self.stream_key(channel)],
                                  args=[self.pubsub_channel(channel), self.encode(message), self.maxlen])
        return stream_id.decode() if isinstance(stream_id, bytes) else str(stream_id)

    def flush(self) -> None:
        """Nothing is queued: ``publish`` has sent the message when it returns."""

    def close(self) -> None:
        """Nothing to send; the Redis client is its owner's to close."""

    def publish_many(self, items: list[tuple[str, str]]) -> None:
        """(channel, encoded message) pairs as one pipeline of script calls, in order. EVALSHA
        directly: a Script in a pipeline costs a SCRIPT EXISTS round trip per pipeline."""
        results = self._send(items)
        missing = [item for item, result in zip(items, results) if isinstance(result, NoScriptError)]
        if missing:   # Redis lost its script cache (restarted): load it and send those again
            self._publish.sha = self.r.script_load(PUBLISH_LUA)
            results = self._send(missing)
        errors = [result for result in results if isinstance(result, Exception)]
        if errors:
            raise errors[0]

    def _send(self, items: list[tuple[str, str]]) -> list:
        pipe = self.r.pipeline(transaction=False)
        for channel, data in items:
            pipe.evalsha(self._publish.sha, 1, self.stream_key(channel), self.pubsub_channel(channel),
                         data, self.maxlen)
        return pipe.execute(raise_on_error=False)


class QueuedPublisher:
    """ports.Publisher for the controller: ``publish`` queues the message and returns at once; one
    writer greenlet sends everything queued as one pipeline (``RedisPublisher.publish_many``), in
    order. These are UI events: a Redis error drops the batch with a warning, and past
    ``max_queued`` the oldest are dropped, so neither a call nor memory suffers from an outage."""

    def __init__(self, publisher: RedisPublisher, max_queued: int = 10000, max_batch: int = 1000):
        self.publisher, self.max_queued, self.max_batch = publisher, max_queued, max_batch
        self._queue: deque[tuple[str, str]] = deque()
        self._wake = gevent.event.Event()
        self._sending = gevent.lock.Semaphore()   # one batch in flight: the writer and flush() keep order
        self._writer: gevent.Greenlet | None = None
        self._overflowed = 0   # dropped as the oldest, since a batch last went out
        self._failed = 0       # dropped with failed batches, since a batch last went out

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        if len(self._queue) >= self.max_queued:
            self._queue.popleft()
            if not self._overflowed:
                log.warning("live events: %d queued, dropping the oldest", self.max_queued)
            self._overflowed += 1
        self._queue.append((channel, self.publisher.encode(message)))
        if self._writer is None or self._writer.dead:
            self._writer = gevent.spawn(self._run)
        self._wake.set()

    def flush(self) -> None:
        """Send what is queued now, from this greenlet (after the batch the writer may be sending).
        While Redis fails, returns at once and leaves the queue to the writer: a call must not wait
        on connection retries for UI events."""
        if not self._failed:
            self._send_queued()

    def close(self) -> None:
        """At shutdown: flush, then end the writer."""
        self.flush()
        if self._writer is not None:
            self._writer.kill()
            self._writer = None

    def backlog(self) -> int:
        return len(self._queue)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            self._send_queued()

    def _send_queued(self) -> None:
        with self._sending:
            while self._queue:
                self._send_batch()

    def _send_batch(self) -> None:
        batch = [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]
        try:
            self.publisher.publish_many(batch)
        except RedisError as exc:
            if not self._failed:   # one warning per outage, not one per batch
                log.warning("%d live events not published (%s); counting the rest until a batch goes out",
                            len(batch), exc)
            self._failed += len(batch)
            backend_error("redis")
            return
        if self._failed or self._overflowed:
            log.warning("live events go out again; %d dropped on errors, %d as the oldest when full",
                        self._failed, self._overflowed)
            self._failed = self._overflowed = 0


class MemoryPublisher:
    """For tests and the in-process bench: remembers what was published."""

    def __init__(self):
        self.messages: list[tuple[str, dict[str, Any]]] = []

    def publish(self, channel: str, message: dict[str, Any]) -> str:
        self.messages.append((channel, message))
        return f"{len(self.messages)}-0"

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

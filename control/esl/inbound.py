"""Inbound Event Socket client to FreeSWITCH (port 8021) that reconnects by itself.

Used for everything not tied to the caller's own socket: originating agent and
supervisor legs, uuid_bridge/uuid_record/uuid_kill, and watching every channel's
events (agent legs, hangups the controller must reconcile). After a reconnect it
re-subscribes and tells listeners, so missed hangups can be reconciled.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import Callable, Iterable

import gevent
import gevent.event
from greenswitch import esl as gs

from control.esl.protocol import FramedProtocol

log = logging.getLogger(__name__)

# Only what the controller consumes: every other channel event would be parsed and dropped, and at
# hundreds of calls/s that parsing was a fifth of the controller's CPU (docs/benchmarks.md, Calls).
# A listener that needs more passes ``events=``.
EVENTS = "BACKGROUND_JOB CHANNEL_HANGUP_COMPLETE"


class SwitchUnavailable(Exception):
    """No Event Socket connection to FreeSWITCH right now."""


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class CommandTimes:
    """Per command name (``uuid_bridge``, ``bgapi originate``), the last ``keep`` samples of the time
    it waited on its connection behind earlier commands and the time FreeSWITCH took to answer it."""

    def __init__(self, keep: int = 2000):
        self.keep = keep
        self.samples: dict[str, deque[tuple[float, float]]] = {}

    def add(self, name: str, queued_s: float, running_s: float) -> None:
        if name not in self.samples:
            self.samples[name] = deque(maxlen=self.keep)
        self.samples[name].append((queued_s, running_s))

    def summary(self) -> dict[str, dict[str, float]]:
        """Per name: count and p50/p99 of waiting and running, in ms."""
        out = {}
        for name, pairs in sorted(self.samples.items()):
            queued = [q * 1000 for q, _ in pairs]
            running = [r * 1000 for _, r in pairs]
            out[name] = {"n": len(pairs),
                         "queued_p50_ms": round(percentile(queued, 50), 2),
                         "queued_p99_ms": round(percentile(queued, 99), 2),
                         "running_p50_ms": round(percentile(running, 50), 2),
                         "running_p99_ms": round(percentile(running, 99), 2)}
        return out

    def clear(self) -> None:
        self.samples.clear()


def command_name(command: str) -> str:
    """``api uuid_bridge a b`` -> ``uuid_bridge``; ``bgapi originate {..}x`` -> ``bgapi originate``."""
    verb, _, rest = command.partition(" ")
    word = rest.split(" ", 1)[0] if rest else ""
    if verb == "api":
        return word or verb
    return f"{verb} {word}".strip()


class _Connection(FramedProtocol, gs.InboundESL):
    """An inbound connection that times its commands. Replies come in the order the commands were
    sent, and FreeSWITCH starts a command once it has answered the one before: a command starts
    when it was sent or when the previous reply came, whichever is later."""

    times: CommandTimes | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sent_count = 0
        self._answered_count = 0
        self._answered_at: dict[int, float] = {}

    @property
    def in_flight(self) -> int:
        return len(self._commands_sent)

    def _on_frame(self, frame) -> None:
        if frame.content_type in ("command/reply", "api/response") and self._commands_sent:
            self._answered_at[self._answered_count] = time.monotonic()
            self._answered_count += 1
            if len(self._answered_at) > 4096:
                self._answered_at.pop(next(iter(self._answered_at)))
        super()._on_frame(frame)

    def send(self, data):
        seq, sent = self._sent_count, time.monotonic()
        self._sent_count += 1
        reply = super().send(data)
        if self.times is not None:
            answered = self._answered_at.get(seq, time.monotonic())
            started = max(sent, self._answered_at.get(seq - 1, sent))
            self.times.add(command_name(data), started - sent, answered - started)
        return reply


class SwitchClient:
    """Implements ports.SwitchControl over one auto-reconnecting inbound connection."""

    def __init__(self, host: str, port: int, password: str, reconnect_s: float = 1.0,
                 events: str = EVENTS, command_connections: int = 4, report_s: float = 60.0):
        self.host, self.port, self.password = host, port, password
        self.reconnect_s = reconnect_s
        self.events = events
        self.command_connections = command_connections
        self.report_s = report_s
        self.times = CommandTimes()
        self._conn: _Connection | None = None
        self._pool: list[_Connection | None] = [None] * command_connections
        self._pool_loops: list[gevent.Greenlet] = []
        self._ready = gevent.event.Event()
        self._jobs: dict[str, gevent.event.AsyncResult] = {}
        self._early_jobs: dict[str, str] = {}
        self._listeners: list[Callable[[dict[str, str]], None]] = []
        self._on_reconnect: list[Callable[[], None]] = []
        self._loop: gevent.Greenlet | None = None
        self._running = False

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self._running = True
        self._loop = gevent.spawn(self._keep_connected)
        self._pool_loops = [gevent.spawn(self._keep_command_connection, i) for i in range(self.command_connections)]
        if self.report_s > 0:
            self._pool_loops.append(gevent.spawn(self._report_times))

    def stop(self) -> None:
        self._running = False
        for conn in [self._conn, *self._pool]:
            if conn is not None:
                conn.stop()
        for loop in [self._loop, *self._pool_loops]:
            if loop is not None:
                loop.kill()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def _new_connection(self) -> _Connection:
        conn = _Connection(self.host, self.port, self.password)
        conn.times = self.times
        return conn

    def _keep_command_connection(self, index: int) -> None:
        """A command-only connection (no events), reconnected like the event connection."""
        while self._running:
            conn = self._new_connection()
            try:
                conn.connect()
            except (gs.NotConnectedError, OSError, ValueError):
                gevent.sleep(self.reconnect_s)   # the event connection logs the outage
                continue
            self._pool[index] = conn
            conn._receive_events_greenlet.join()
            self._pool[index] = None
            if self._running:
                gevent.sleep(self.reconnect_s)

    def _report_times(self) -> None:
        while self._running:
            gevent.sleep(self.report_s)
            summary = self.times.summary()
            self.times.clear()
            if summary:
                log.info("Event Socket commands in the last %.0f s (waiting behind others / running, p50 p99 ms): %s",
                         self.report_s, "; ".join(
                             f"{name} x{s['n']} {s['queued_p50_ms']}/{s['running_p50_ms']} "
                             f"{s['queued_p99_ms']}/{s['running_p99_ms']}" for name, s in summary.items()))

    def _keep_connected(self) -> None:
        first = True
        while self._running:
            conn = self._new_connection()
            try:
                conn.connect()
                conn.register_handle("*", self._on_event)
                conn.send(f"event plain {self.events}")
            except (gs.NotConnectedError, OSError, ValueError) as exc:
                log.warning("Event Socket %s:%s not available (%s); retrying in %.1fs",
                            self.host, self.port, exc, self.reconnect_s)
                gevent.sleep(self.reconnect_s)
                continue
            self._conn = conn
            self._ready.set()
            log.info("Event Socket connected to %s:%s", self.host, self.port)
            if not first:
                for callback in list(self._on_reconnect):
                    gevent.spawn(callback)
            first = False
            conn._receive_events_greenlet.join()
            self._ready.clear()
            self._fail_jobs()
            if self._running:
                log.warning("Event Socket connection lost; reconnecting")
                gevent.sleep(self.reconnect_s)

    def _fail_jobs(self) -> None:
        jobs, self._jobs = self._jobs, {}
        for result in jobs.values():
            result.set("-ERR CONNECTION_LOST\n")

    # -- commands ----------------------------------------------------------
    def _connection(self) -> _Connection:
        """The pool connection with the fewest commands in flight; the event connection while none
        is up. Commands need the event connection either way: a job's result comes as an event."""
        if not self._ready.is_set() or self._conn is None:
            raise SwitchUnavailable(f"no Event Socket connection to {self.host}:{self.port}")
        pool = [conn for conn in self._pool if conn is not None and conn.connected]
        return min(pool, key=lambda conn: conn.in_flight) if pool else self._conn

    def api(self, command: str) -> str:
        try:
            return self._connection().send(f"api {command}").data
        except (gs.NotConnectedError, OSError) as exc:
            raise SwitchUnavailable(str(exc)) from exc

    def bgapi(self, command: str) -> gevent.event.AsyncResult:
        """Start a background job; the returned AsyncResult gets the job's body."""
        try:
            reply = self._connection().send(f"bgapi {command}")
        except (gs.NotConnectedError, OSError) as exc:
            raise SwitchUnavailable(str(exc)) from exc
        job_uuid = reply.headers.get("Job-UUID", "")
        result = gevent.event.AsyncResult()
        if not job_uuid:
            result.set(f"-ERR {reply.data}\n")
        elif job_uuid in self._early_jobs:
            result.set(self._early_jobs.pop(job_uuid))
        else:
            self._jobs[job_uuid] = result
        return result

    # -- events --------------------------------------------------------------
    def subscribe(self, handler: Callable[[dict[str, str]], None], events: Iterable[str] = ()) -> None:
        self._listeners.append(handler)

    def on_reconnect(self, callback: Callable[[], None]) -> None:
        self._on_reconnect.append(callback)

    def _on_event(self, event) -> None:
        headers = event.headers
        if headers.get("Event-Name") == "BACKGROUND_JOB":
            job = headers.get("Job-UUID", "")
            body = event.data or headers.get("_body", "")
            pending = self._jobs.pop(job, None)
            if pending is not None:
                pending.set(body)
            else:
                self._early_jobs[job] = body
                if len(self._early_jobs) > 10000:  # jobs nobody waits for (e.g. after a restart)
                    self._early_jobs.pop(next(iter(self._early_jobs)))
        for listener in self._listeners:
            listener(headers)

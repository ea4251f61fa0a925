"""Inbound Event Socket client to FreeSWITCH (port 8021) that reconnects by itself.

Used for everything not tied to the caller's own socket: originating agent and
supervisor legs, uuid_bridge/uuid_record/uuid_kill, and watching every channel's
events (agent legs, hangups the controller must reconcile). After a reconnect it
re-subscribes and tells listeners, so missed hangups can be reconciled.
"""
from __future__ import annotations

import logging
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


class _Connection(FramedProtocol, gs.InboundESL):
    pass


class SwitchClient:
    """Implements ports.SwitchControl over one auto-reconnecting inbound connection."""

    def __init__(self, host: str, port: int, password: str, reconnect_s: float = 1.0,
                 events: str = EVENTS):
        self.host, self.port, self.password = host, port, password
        self.reconnect_s = reconnect_s
        self.events = events
        self._conn: _Connection | None = None
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

    def stop(self) -> None:
        self._running = False
        if self._conn is not None:
            self._conn.stop()
        if self._loop is not None:
            self._loop.kill()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._ready.is_set()

    def _keep_connected(self) -> None:
        first = True
        while self._running:
            conn = _Connection(self.host, self.port, self.password)
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
        if not self._ready.is_set() or self._conn is None:
            raise SwitchUnavailable(f"no Event Socket connection to {self.host}:{self.port}")
        return self._conn

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

"""The waiting calls as last read, shared by the dispatcher and every waiting caller of this controller.

A waiting caller looks at its own call once a second (moved by a supervisor? an overflow rule
due?). With a thousand callers waiting that was a thousand Redis reads a second on top of the
dispatcher reading every waiting call on each pass, and the busier the queue, the less CPU was
left to empty it (docs/benchmarks.md, Calls). Now the dispatcher's read serves everybody for up to
``max_age_s``; a caller whose overflow rule fires reads its call afresh before acting.

The Call objects are shared (the dispatcher's router keeps them): readers must not change them.
"""
from __future__ import annotations

import time
from typing import Callable

import gevent.event

MAX_AGE_S = 0.5


class WaitingView:
    def __init__(self, store, clock: Callable[[], float] = time.monotonic, max_age_s: float = MAX_AGE_S):
        self.store, self.clock, self.max_age_s = store, clock, max_age_s
        self._calls: list = []
        self._by_id: dict[str, object] | None = None
        self._read_at = float("-inf")
        self._pending: gevent.event.Event | None = None   # a callers' read under way

    def read(self) -> list:
        """Every waiting call, read now (the dispatcher: a call queued a moment ago must be in it)."""
        started = self.clock()
        self._calls, self._by_id = self.store.waiting_calls(shared=True), None
        self._read_at = started
        return self._calls

    def calls(self) -> list:
        """The waiting calls, read again only when the last read is older than ``max_age_s``; callers
        finding it stale together wait for one read (an Event wakes them all at once)."""
        if self.clock() - self._read_at <= self.max_age_s:
            return self._calls
        if self._pending is not None:
            self._pending.wait()
            return self._calls
        self._pending = gevent.event.Event()
        try:
            self.read()
        finally:
            done, self._pending = self._pending, None
            done.set()
        return self._calls

    def get(self, call_id: str):
        """One waiting call (QUEUED or OFFERING) from ``calls()``; None when it was not waiting then."""
        calls = self.calls()
        if self._by_id is None:
            self._by_id = {c.id: c for c in calls}
        return self._by_id.get(call_id)

"""A circuit breaker: after ``failures`` failures in a row the circuit opens and calls are
refused at once; after ``cooldown_s`` one trial call is let through (half-open), and its
outcome closes or re-opens the circuit."""
from __future__ import annotations

import time
from typing import Callable

from records.locks import native_lock

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    def __init__(self, failures: int = 5, cooldown_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.threshold, self.cooldown_s, self.clock = max(1, int(failures)), float(cooldown_s), clock
        self.failures = 0
        self.opened_at: float | None = None
        self.trial_running = False
        self.lock = native_lock()   # used from the controller's thread pool

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return CLOSED
        return HALF_OPEN if self.clock() - self.opened_at >= self.cooldown_s else OPEN

    def allow(self) -> bool:
        """True when a call may go out; in half-open only one trial at a time."""
        with self.lock:
            state = self.state
            if state == CLOSED:
                return True
            if state == HALF_OPEN and not self.trial_running:
                self.trial_running = True
                return True
            return False

    def success(self) -> None:
        with self.lock:
            self.failures, self.opened_at, self.trial_running = 0, None, False

    def failure(self) -> None:
        with self.lock:
            self.failures += 1
            if self.trial_running or self.failures >= self.threshold:
                self.opened_at = self.clock()
            self.trial_running = False

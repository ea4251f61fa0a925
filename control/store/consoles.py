"""Which agents have their console open, and the consoles' word that a pop is on screen.

The card before the ring (docs/console.md, The pop): the console marks itself open while its live
stream runs (a key with a short expiry, refreshed at every read of the stream) and acknowledges
each pop once it has drawn it; the console's server passes the acknowledgement to the controllers
on the control channel, and the controller that rings the agent is waiting for it (``expect``
before the pop is published, ``Waiter.wait`` before the phone is originated).
"""
from __future__ import annotations

import gevent.event

from control.store.keys import Keys


class Waiter:
    def __init__(self, consoles: "ConsoleWaits", key: tuple[str, str]):
        self.consoles, self.key = consoles, key
        self.event = gevent.event.Event()

    def wait(self, timeout: float) -> bool:
        """True when the console acknowledged within ``timeout`` seconds."""
        try:
            return self.event.wait(timeout)
        finally:
            self.consoles.waiting.pop(self.key, None)


class ConsoleWaits:
    """The offers waiting for their pop's acknowledgement. On its own (no shared store, so no
    console can connect) it is the whole port with no console ever open: offers never wait."""

    def __init__(self):
        self.waiting: dict[tuple[str, str], Waiter] = {}

    def expect(self, call_id: str, agent_id: str) -> Waiter:
        waiter = self.waiting[(call_id, agent_id)] = Waiter(self, (call_id, agent_id))
        return waiter

    def acked(self, call_id: str, agent_id: str) -> None:
        waiter = self.waiting.get((call_id, agent_id))
        if waiter is not None:
            waiter.event.set()

    def is_open(self, agent_id: str) -> bool:
        return False

    def mark_open(self, agent_id: str, ttl_s: float) -> None:
        pass


class RedisConsoles(ConsoleWaits):
    """ports.Consoles on Redis: the open-console marks are shared by every controller and console."""

    def __init__(self, client, prefix: str):
        super().__init__()
        self.client, self.keys = client, Keys(prefix)

    def is_open(self, agent_id: str) -> bool:
        return bool(self.client.exists(self.keys.console(agent_id)))

    def mark_open(self, agent_id: str, ttl_s: float) -> None:
        self.client.set(self.keys.console(agent_id), 1, px=max(1, int(ttl_s * 1000)))


class MemoryConsoles(ConsoleWaits):
    """ports.Consoles in one process (tests, the in-process bench)."""

    def __init__(self):
        super().__init__()
        self.open: set[str] = set()

    def is_open(self, agent_id: str) -> bool:
        return agent_id in self.open

    def mark_open(self, agent_id: str, ttl_s: float) -> None:
        self.open.add(agent_id)

"""Event emission: FreeSWITCH's standard event headers, and delivery to the Event Socket sessions listening."""
from __future__ import annotations

import time
import uuid as uuidlib
from email.utils import formatdate

from simulator.channels import CALLING, Channel
from simulator.encoding import OutEvent

CORE_UUID = "5f2d1a0e-8f7c-4b7e-9d55-0c1b2a3f4e5d"
SWITCHNAME = "fs-host"


def host_headers(name: str = SWITCHNAME, ipv4: str = "127.0.0.1") -> tuple[tuple[str, str], ...]:
    """What every event of a switch starts with; ``FreeSWITCH-Switchname`` is switch.conf.xml's
    ``switchname`` (the host name unless set), which tells several nodes apart (docs/simulator.md)."""
    core = CORE_UUID if name == SWITCHNAME else str(uuidlib.uuid5(uuidlib.NAMESPACE_DNS, name))
    return (("Core-UUID", core), ("FreeSWITCH-Hostname", name), ("FreeSWITCH-Switchname", name),
            ("FreeSWITCH-IPv4", ipv4), ("FreeSWITCH-IPv6", "::1"))


_HOST = host_headers()
_NOT_CALLED = ("switch_event.c", "switch_event_fire", 0)


class Events:
    """Numbers events (Event-Sequence) and hands them to a channel's outbound session and to every
    inbound session in ``inbound_sessions`` (the switch's set, shared)."""

    def __init__(self, inbound_sessions: set, host: tuple[tuple[str, str], ...] = _HOST):
        self.inbound_sessions = inbound_sessions
        self.host = host
        self.dead = False   # the node's process was killed: nothing is sent any more
        self._sequence = 0
        self._date_second = -1
        self._date_texts = ("", "")

    def standard_headers(self, event_name: str, calling: str | None = None) -> list[tuple[str, str]]:
        self._sequence += 1
        now = time.time()
        local, gmt = self._dates(now)
        file, func, line = CALLING.get(calling or event_name, _NOT_CALLED)
        return [("Event-Name", event_name), *self.host, ("Event-Date-Local", local), ("Event-Date-GMT", gmt),
                ("Event-Date-Timestamp", str(int(now * 1e6))), ("Event-Calling-File", file),
                ("Event-Calling-Function", func), ("Event-Calling-Line-Number", str(line)),
                ("Event-Sequence", str(self._sequence))]

    def _dates(self, now: float) -> tuple[str, str]:
        """Event-Date-Local and Event-Date-GMT, formatted once a second. formatdate rounds to the
        microsecond, so in a second's last microsecond it may print the next second: not cached."""
        second = int(now)
        exact = now - second < 0.999999
        if second == self._date_second and exact:
            return self._date_texts
        texts = (time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)), formatdate(now, usegmt=True))
        if exact:
            self._date_second, self._date_texts = second, texts
        return texts

    def emit(self, ch: Channel, pairs) -> None:
        if self.dead:
            return
        event = OutEvent(pairs[0][1], pairs)
        if ch.session is not None:
            ch.session.deliver(event)
        for session in list(self.inbound_sessions):
            session.deliver(event)

    def emit_global(self, event_name: str, extra, body: str | None = None) -> None:
        if self.dead:
            return
        event = OutEvent(event_name, self.standard_headers(event_name) + list(extra), body)
        for session in list(self.inbound_sessions):
            session.deliver(event)

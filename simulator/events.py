"""Event emission: FreeSWITCH's standard event headers, and delivery to the Event Socket sessions listening."""
from __future__ import annotations

import time
from email.utils import formatdate

from simulator.channels import CALLING, Channel

CORE_UUID = "5f2d1a0e-8f7c-4b7e-9d55-0c1b2a3f4e5d"


class Events:
    """Numbers events (Event-Sequence) and hands them to a channel's outbound session and to every
    inbound session in ``inbound_sessions`` (the switch's set, shared)."""

    def __init__(self, inbound_sessions: set):
        self.inbound_sessions = inbound_sessions
        self._sequence = 0

    def standard_headers(self, event_name: str, calling: str | None = None) -> list[tuple[str, str]]:
        self._sequence += 1
        now = time.time()
        file, func, line = CALLING.get(calling or event_name, ["switch_event.c", "switch_event_fire", 0])
        return [("Event-Name", event_name), ("Core-UUID", CORE_UUID), ("FreeSWITCH-Hostname", "fs-host"),
                ("FreeSWITCH-Switchname", "fs-host"), ("FreeSWITCH-IPv4", "127.0.0.1"), ("FreeSWITCH-IPv6", "::1"),
                ("Event-Date-Local", time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))),
                ("Event-Date-GMT", formatdate(now, usegmt=True)), ("Event-Date-Timestamp", str(int(now * 1e6))),
                ("Event-Calling-File", file), ("Event-Calling-Function", func),
                ("Event-Calling-Line-Number", str(line)), ("Event-Sequence", str(self._sequence))]

    def emit(self, ch: Channel, pairs) -> None:
        name = pairs[0][1]
        if ch.session is not None:
            ch.session.deliver(name, pairs)
        for session in list(self.inbound_sessions):
            session.deliver(name, pairs)

    def emit_global(self, event_name: str, extra, body: str | None = None) -> None:
        pairs = self.standard_headers(event_name) + list(extra)
        for session in list(self.inbound_sessions):
            session.deliver(event_name, pairs, body)

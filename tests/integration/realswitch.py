"""Helpers for tests/integration/test_real_freeswitch.py: boot a real FreeSWITCH on an unmodified
copy of freeswitch-conf/ + dialplan/ (control/bench/fsboot.py, shared with ``hotline bench calls
--switch freeswitch``), and follow its events over the inbound Event Socket."""
from __future__ import annotations

import json
import socket
import time
import uuid

from control.bench.fsboot import (BAD_LOG_LINE, EXPECTED_WARNINGS, SAY_WORDS, RealSwitch, boot, free_port,  # noqa: F401
                                  start_controller, stop, write_tone)
from control.esl.parser import FrameParser


class Events:
    """An inbound Event Socket connection subscribed to JSON events; ``wait`` returns the first
    event (already seen or still to come) for which ``match`` is true."""

    def __init__(self, port: int, password: str, names: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.parser, self.pending, self.seen = FrameParser(), [], []
        self._next("auth/request", 5)
        self.sock.sendall(f"auth {password}\n\n".encode())
        assert self._next("command/reply", 5).headers.get("Reply-Text", "").startswith("+OK")
        self.sock.sendall(f"event json {names}\n\n".encode())
        assert self._next("command/reply", 5).headers.get("Reply-Text", "").startswith("+OK")

    def _next(self, content_type: str, timeout: float):
        deadline = time.monotonic() + timeout
        while True:
            while not self.pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(content_type)
                self.sock.settimeout(remaining)
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("FreeSWITCH closed the event connection")
                self.pending.extend(self.parser.feed(data))
            frame = self.pending.pop(0)
            if frame.headers.get("Content-Type") == "text/event-json":
                self.seen.append(json.loads(frame.body))
            if frame.headers.get("Content-Type") == content_type:
                return frame

    def wait(self, what: str, match, timeout: float = 30.0) -> dict:
        checked = 0
        deadline = time.monotonic() + timeout
        while True:
            for event in self.seen[checked:]:
                if match(event):
                    return event
            checked = len(self.seen)
            try:
                self._next("text/event-json", max(0.0, deadline - time.monotonic()))
            except (TimeoutError, socket.timeout):
                names = [(e.get("Event-Name"), e.get("Application"), e.get("Application-Data"))
                         for e in self.seen[-15:]]
                raise AssertionError(f"no {what} within {timeout} s; last events: {names}") from None

    def close(self) -> None:
        self.sock.close()


def execute(app: str, data: str | None = None, channel: str | None = None):
    """Matcher: CHANNEL_EXECUTE of ``app`` (with ``data``, on ``channel`` if given)."""
    def match(e: dict) -> bool:
        return (e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Application") == app
                and (data is None or e.get("Application-Data") == data)
                and (channel is None or e.get("Unique-ID") == channel))
    return match


def call_row(database_url: str, call_id: str, timeout: float = 30.0):
    """The call's record, once the controller's batched writer has stored it."""
    from sqlalchemy import select

    from records.db import session_factory
    from records.models import Call

    deadline = time.monotonic() + timeout
    while True:
        with session_factory(database_url)() as session:
            row = session.scalars(select(Call).where(Call.call_id == call_id)).first()
        if row is not None or time.monotonic() > deadline:
            assert row is not None, f"no call record for {call_id}"
            return row
        time.sleep(0.3)


def originate(switch, variables: dict[str, str], dial: str, app: str = "park()") -> str:
    """A call placed on ``dial``; our end (the returned leg) runs ``app``."""
    leg = str(uuid.uuid4())
    pairs = ",".join(f"{k}={v}" for k, v in {"origination_uuid": leg, **variables}.items())
    reply = switch.api(f"originate {{{pairs}}}{dial} &{app}")
    assert reply.startswith("+OK"), reply
    return leg


def b_leg(events, a_leg: str, app: str) -> str:
    """The loopback leg that runs the dialplan (its a-leg is parked in our hands)."""
    return events.wait(f"{app} on the other leg of {a_leg}",
                       lambda e: e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Application") == app
                       and e.get("variable_other_loopback_leg_uuid") == a_leg)["Unique-ID"]


def socket_runs(events, caller: str) -> list[dict]:
    return [e for e in events.seen if e.get("Unique-ID") == caller and e.get("Event-Name") == "CHANNEL_EXECUTE"
            and e.get("Application") == "socket"]

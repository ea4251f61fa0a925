"""When did a call end that nobody saw end? For the records the reconciler writes on behalf of a
dead controller (orphaned bridged calls, ghost waiting calls).

Best first: the CHANNEL_HANGUP_COMPLETE this controller received for the channel (its
Event-Date-Timestamp), then the last reconcile sweep that found the channel alive, then the
caller's fallback (the sweep's own time, which overstates the call by up to one interval).
"""
from __future__ import annotations

from collections import OrderedDict

import gevent
import gevent.event

HANGUP = "CHANNEL_HANGUP_COMPLETE"
KEPT = 50_000   # hangups remembered (a few minutes at 250 calls/s, two legs each)
CALLERS_KEPT = 5_000   # callers' hangups remembered whole (a minute at 80 calls/s)
# What a call record needs of a caller nobody took (the dialplan sets hotline_attempts before ``socket``).
CALLER_FIELDS = ("Unique-ID", "Caller-Caller-ID-Number", "Caller-Caller-ID-Name", "Caller-Destination-Number",
                 "FreeSWITCH-Switchname", "Hangup-Cause", "variable_hotline_did", "variable_hotline_segment",
                 "variable_hotline_queue", "variable_sip_term_status", "variable_sip_hangup_phrase")


class LastSeen:
    def __init__(self, kept: int = KEPT):
        self.kept = kept
        self.hangups: OrderedDict[str, float] = OrderedDict()
        self.callers: OrderedDict[str, dict[str, str]] = OrderedDict()
        self._waiters: dict[str, gevent.event.Event] = {}
        self.alive: dict[str, float] = {}

    def on_event(self, headers: dict[str, str]) -> None:
        if headers.get("Event-Name") != HANGUP:
            return
        uuid, stamp = headers.get("Unique-ID"), headers.get("Event-Date-Timestamp", "")
        if not uuid or not stamp.isdigit():
            return
        self.hangups[uuid] = int(stamp) / 1e6
        while len(self.hangups) > self.kept:
            self.hangups.popitem(last=False)
        if headers.get("variable_hotline_attempts"):
            self.callers[uuid] = {name: headers[name] for name in CALLER_FIELDS if headers.get(name)}
            if uuid in self._waiters:
                self._waiters[uuid].set()
            while len(self.callers) > CALLERS_KEPT:
                self.callers.popitem(last=False)

    def caller(self, uuid: str, wait_s: float = 0.0) -> dict[str, str] | None:
        """A caller's channel as its CHANNEL_HANGUP_COMPLETE described it (CALLER_FIELDS), waiting up to
        ``wait_s`` for the event: it comes on the inbound connection, where an overloaded controller
        reads it seconds after the caller's own socket closed."""
        if uuid not in self.callers and wait_s > 0:
            arrived = self._waiters.setdefault(uuid, gevent.event.Event())
            arrived.wait(wait_s)
            self._waiters.pop(uuid, None)
        return self.callers.get(uuid)

    def sweep(self, alive_ids: set[str], now: float) -> None:
        """The calls a sweep found alive; calls no longer tracked are forgotten."""
        self.alive = {call_id: now for call_id in alive_ids}

    def ended_at(self, call_id: str, fallback: float) -> float:
        if call_id in self.hangups:
            return self.hangups[call_id]
        return self.alive.get(call_id, fallback)


def for_manager(manager) -> LastSeen:
    """The manager's LastSeen, created (and subscribed to the switch's hangups) on first use."""
    seen = manager.last_seen
    if seen is None:
        seen = manager.last_seen = LastSeen()
        manager.deps.switch.subscribe(seen.on_event, (HANGUP,))
    return seen

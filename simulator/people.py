"""Simulated people: callers with scripted keypresses and patience, agents' phones."""
from __future__ import annotations

import time
from collections import deque

import gevent
from gevent.event import Event

from simulator.durations import Duration, as_duration

WAIT = object()   # no scripted answer: the collecting app just listens for DTMF


class CallerScript:
    """Inputs: "digits" answers the next collecting app, None lets it time out,
    {"after": s, "digits": "..."} presses digits s seconds after the previous input was consumed."""

    def __init__(self, channel, inputs, patience: float | None, message_s: float = 2.0):
        self.channel, self.inputs, self.patience, self.message_s = channel, deque(inputs or []), patience, message_s
        self.patience_expired = False
        self._consumed = Event()
        self._greenlets: list = []

    def start(self) -> None:
        self._greenlets.append(gevent.spawn(self._timed_presses))
        if self.patience is not None:
            self._greenlets.append(gevent.spawn_later(self.patience, self._give_up))

    def stop(self) -> None:
        gevent.killall([g for g in self._greenlets if g is not gevent.getcurrent()], block=False)

    def take(self):
        """The answer for the next digit-collecting app: a string, None, or WAIT."""
        if self.inputs and not isinstance(self.inputs[0], dict):
            item = self.inputs.popleft()
            self._consumed.set()
            return item
        return WAIT

    def _timed_presses(self) -> None:
        while self.inputs:
            item = self.inputs[0]
            if isinstance(item, dict):
                self.inputs.popleft()
                gevent.sleep(float(item.get("after", 0)))
                self.channel.press(str(item.get("digits", "")))
            else:
                self._consumed.clear()
                self._consumed.wait()

    def _give_up(self) -> None:
        ch = self.channel
        if ch.alive and not ch.bridged:
            self.patience_expired = True
            ch.hangup("NORMAL_CLEARING", by="caller")


class Phone:
    """An agent's (or supervisor's) registered phone, or an outside number's (``busy``: refuses at once).
    ``answer_after`` (None: never) and ``talk_time`` (None: until the caller hangs up) are seconds or a
    ``Duration`` drawn again for every ring and every call (simulator/durations.py)."""

    def __init__(self, extension: str, answer_after: float | Duration | None, talk_time: float | Duration | None,
                 busy: bool = False):
        self.extension = extension
        self.answer_after, self.talk_time = as_duration(answer_after), as_duration(talk_time)
        self.busy = busy
        self.talk_from_bridge = False   # agents' phones: set by Dialer.add_phone
        self.rings = 0   # times it was dialled
        self.ring_log: list[dict] = []   # each ring: call, agent (the leg's hotline_* variables), caller_id_name, start, end, answered

    def ring(self, leg, timeout: float, cancel: Event | None = None) -> bool:
        """Block while ringing; True if answered within ``timeout`` and not cancelled."""
        entry = {"call": leg.vars.get("hotline_call"), "agent": leg.vars.get("hotline_agent"),
                 "caller_id_name": leg.caller_name, "start": time.time(), "end": None, "answered": False}
        self.ring_log.append(entry)
        after = None if self.answer_after is None else self.answer_after.draw()
        wait = timeout if after is None else min(after, timeout)
        # wake early when the originate is cancelled or the ringing leg is killed (uuid_kill)
        gevent.wait([e for e in (cancel, leg.gone) if e is not None], timeout=wait, count=1)
        cancelled = cancel is not None and cancel.is_set()
        entry["end"] = time.time()
        if cancelled or after is None or after > timeout or not leg.alive:
            return False
        entry["answered"] = True
        return True

    def talk(self, leg) -> None:
        """After answering: hang up after talk_time (the agent ends the call). An agent's phone
        (``talk_from_bridge``) counts it from the bridge, when the conversation with the caller starts:
        counted from the answer, a short draw (exponential talk times have many) hung up before the
        controller's bridge, and the controller rightly took that as a missed offer (agent not-ready).
        ``talk_time`` 0 still hangs up at once on answering: a phone that drops before the bridge; and a
        leg that is not an offer (no ``hotline_agent``: a supervisor's eavesdrop, an app) counts from the answer."""
        if self.talk_time is None:
            return
        seconds = self.talk_time.draw()

        def hang_up():
            if leg.alive:
                leg.hangup("NORMAL_CLEARING", by="agent")

        def after_bridge():
            gevent.wait([leg.on_bridge, leg.gone], count=1)
            if leg.alive and leg.on_bridge.is_set():
                gevent.sleep(seconds)
                hang_up()

        offered = bool(getattr(leg, "vars", {}).get("hotline_agent"))   # the controller's offer to an agent
        if self.talk_from_bridge and offered and seconds > 0:   # 0: drops at once on answering, before any bridge
            gevent.spawn(after_bridge)
        else:
            gevent.spawn_later(seconds, hang_up)

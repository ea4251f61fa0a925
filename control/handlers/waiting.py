"""A caller waiting in a queue: hold music, position announcements, exit keys, overflow.

Agent offers happen elsewhere (manager → offers); this side only reacts to the
caller's own events (DTMF, bridge, hangup) and to its timers.
"""
from __future__ import annotations

import logging

import gevent.queue

from control import events
from control.domain.call_state import move
from control.domain.models import CallState, Outcome, Requirement
from control.esl import commands
from control.errors import RedisError
from control.esl.outbound import ChannelGone
from control.handlers.outage import through_outage

log = logging.getLogger(__name__)

TICK_S = 1.0


class QueueWait:
    def __init__(self, session, command):
        self.session = session
        self.deps = session.deps
        self.call = session.call
        self.command = command
        self.notes: list[str] = []   # path notes the flow does not make itself (overflow moves)

    # -- enter ------------------------------------------------------------------
    def run(self) -> dict:
        """How the caller left the queue (commands.EnterQueue), with ``notes`` for the IVR path."""
        return {**self._wait(), "notes": list(self.notes)}

    def _wait(self) -> dict:
        queues = self.deps.queues.current()
        queue = queues.get(self.command.queue)
        if queue is None:
            log.error("flow sent call %s to unknown queue %r", self.call.id, self.command.queue)
            return {"left": "error", "reason": f"unknown queue {self.command.queue}"}
        self._enter(queue)
        self._forget_digits()
        self._hold_music()
        next_announce = self.deps.now() + self._announce_every(queue)
        while True:
            now = self.deps.now()
            try:
                kind, payload = self.session.inbox.get(timeout=min(TICK_S, max(0.05, next_announce - now)))
            except gevent.queue.Empty:
                kind, payload = "tick", None
            if kind == "hangup":
                raise ChannelGone("caller hung up while queued")
            if kind == "bridged":
                return self._bridged(payload)
            queue = self.deps.queues.current().get(self.call.queue) or queue
            if kind == "dtmf":
                left = self._exit_key(queue, payload)
                if left:
                    return left
                continue
            try:
                left = self._overflow(queue)
                if left:
                    return left
                if self.deps.now() >= next_announce:
                    self._announce(queue)
                    next_announce = self.deps.now() + self._announce_every(queue)
            except RedisError:   # live state unreachable: the caller stays in line; the next tick retries
                log.warning("call %s: queue rules skipped this tick (Redis unreachable)", self.call.id)

    def _enter(self, queue) -> None:
        call, cmd, now = self.call, self.command, self.deps.now()
        call.queue = queue.name
        reqs = [Requirement(s, int(lvl)) for s, lvl in (getattr(cmd, "requirements", None) or ())]
        call.requirements = reqs
        call.priority = int(getattr(cmd, "priority", 0) or 0)
        call.language = getattr(cmd, "language", None) or call.language
        if call.entered_at is None:
            call.entered_at = now
        call.ivr_path = list(call.ivr_path)
        if call.state != CallState.OFFERING:  # a resumed call may have an agent ringing already
            move(call, CallState.QUEUED)
        # entering a queue; later puts only update. Redis unreachable: the caller waits in hold music
        through_outage(self.session, self.deps.store.put_call, call, create=True, music=True)
        try:
            self.deps.store.record_arrival(queue.name, now)
        except RedisError:   # the arrival-rate statistics miss one arrival
            log.warning("call %s: arrival not counted (Redis unreachable)", call.id)
        self.session.manager.trigger(broadcast=True, calls_only=True)
        self.deps.publisher.publish("wallboard", events.queued(call.id, call.queue, call.caller, call.priority))

    def _forget_digits(self) -> None:
        """Digits pressed before the queue (menu choices) must not act as its exit keys: empty the
        channel's DTMF buffer, then drop the DTMF events already waiting in our inbox (their
        events arrive before flush_dtmf's completion, so none is left behind)."""
        self.session.channel.execute("flush_dtmf")
        inbox, kept = self.session.inbox, []
        while True:
            try:
                item = inbox.get_nowait()
            except gevent.queue.Empty:
                break
            if item[0] != "dtmf":
                kept.append(item)
        for item in kept:
            inbox.put(item)

    def _hold_music(self) -> None:
        self.session.channel.execute("playback", self.deps.config.moh, wait=False)

    def _announce_every(self, queue) -> float:
        return float(getattr(queue, "announce_every_s", 0) or 0) or 1e9

    # -- events -----------------------------------------------------------------
    def _bridged(self, headers) -> dict:
        call, now = self.call, self.deps.now()
        live = self.deps.store.get_call(call.id)
        # the store reserved and confirmed the call (offers.bridge) before this bridge: this copy catches up
        call.state = live.state if live is not None else CallState.OFFERING
        move(call, CallState.CONNECTED)
        call.answered_at = now
        self.session.agent_id = (live.agent_id if live else None) or self._last_offered()
        call.outcome = Outcome.ANSWERED
        return {"left": "answered"}

    def _last_offered(self) -> str | None:
        offered = self.deps.call_log.read(self.call.id, "offers")
        return offered[-1] if offered else None

    def _exit_key(self, queue, digit: str) -> dict | None:
        from control.domain.overflow import exit_key_action

        action = exit_key_action(queue, digit)
        if action is None:
            return None
        return self._act(action, f"queue {queue.name}: pressed {digit} → {action.kind}")

    def _stats(self, queue, live):
        from control.domain.queueing import queue_stats

        if not any(r.no_agents or r.queue_length is not None or r.estimated_wait_s is not None
                   for r in queue.overflow):
            return None  # only wait-time rules: no need to look at the queue
        store = self.deps.store
        waiting, agents = self.session.manager.snapshot()
        return queue_stats(self.deps.now(), queue, waiting, agents, aht_s=store.aht(queue.name),
                           arrivals_per_s=store.arrivals_per_s(queue.name, self.deps.now()), call=live,
                           queues=self.deps.queues.current())

    def _overflow(self, queue) -> dict | None:
        from control.domain.overflow import evaluate_overflow

        seen = self.session.manager.waiting.get(self.call.id)   # shared, at most half a second old
        if seen is None or seen.state != CallState.QUEUED:
            return None
        # a supervisor may have moved the call or raised its priority from the wallboard
        self.call.queue, self.call.priority = seen.queue, seen.priority
        queue = self._queue_of(seen, queue)
        if not queue.overflow or evaluate_overflow(self.deps.now(), seen, queue, self._stats(queue, seen)) is None:
            return None
        live = self.deps.store.get_call(self.call.id)   # a rule is due: act on the call as it is now
        if live is None or live.state != CallState.QUEUED:
            return None
        queue = self._queue_of(live, queue)
        action = evaluate_overflow(self.deps.now(), live, queue, self._stats(queue, live))
        if action is None:
            return None
        if action.kind == "widen":
            self._log(action)
            live.extra_queues = list(dict.fromkeys([*live.extra_queues, action.target]))
            self.call.extra_queues = live.extra_queues
            self.deps.store.put_call(live)
            self.session.manager.trigger(broadcast=True)
            return None
        if action.kind == "move":
            self._log(action)
            live.requirements = self.call.requirements = self._requirements_after_move(live, queue, action.target)
            live.queue = self.call.queue = action.target
            self.notes.append(f"overflow → queue {action.target}")
            self.call.ivr_path.append(self.notes[-1])
            live.ivr_path = list(self.call.ivr_path)   # the agent's pop is made from the stored call
            self.deps.store.put_call(live)
            self.deps.store.record_arrival(action.target, self.deps.now())
            self.session.manager.trigger(broadcast=True)
            return None
        return self._act(action, f"overflow → {action.kind} {action.target or ''}".strip())

    def _requirements_after_move(self, call, source, target_name: str | None) -> list:
        from control.domain.overflow import requirements_after_move

        target = self.deps.queues.current().get(target_name) if target_name else None
        return requirements_after_move(call, source, target) if target is not None else list(call.requirements)

    def _queue_of(self, call, fallback):
        return self.deps.queues.current().get(call.queue) or fallback

    def _act(self, action, path_note: str) -> dict | None:
        """Leave the queue for voicemail, callback or an IVR flow (the flow runner does the rest)."""
        if not self._leave():
            return None
        self._log(action)
        self.call.ivr_path.append(path_note)
        kind = "overflow" if action.rule and not action.rule.startswith("exit_key") else "exit_key"
        return {"left": kind, "action": action.kind, "goto": action.target if action.kind == "ivr" else None}

    def _log(self, action) -> None:
        self.deps.call_log.append(self.call.id, "explanations", {**action.explanation, "at": self.deps.now()})

    def _leave(self) -> bool:
        """Leave the queue unless an agent is already ringing for this call."""
        live = self.deps.store.get_call(self.call.id)
        if live is not None and live.state != CallState.QUEUED:
            return False
        self.deps.store.remove_call(self.call.id)
        move(self.call, CallState.IVR)
        self.session.channel.api(commands.uuid_break(self.call.id))
        return True

    def _announce(self, queue) -> None:
        from control.domain.queueing import position_and_wait

        store = self.deps.store
        live = store.get_call(self.call.id)
        if live is None or live.state != CallState.QUEUED:
            return
        waiting, agents = self.session.manager.snapshot()
        position, wait_s = position_and_wait(self.deps.now(), live, waiting, agents,
                                             self.deps.queues.current(), aht_s=store.aht(queue.name))
        if wait_s == float("inf"):
            return  # nobody staffed: overflow rules decide, not a promise we cannot keep
        minutes = max(1, round(wait_s / 60))
        self.session.channel.api(commands.uuid_break(self.call.id))
        media = self.session.media()
        from control.ivr.announce import announcement

        try:
            media.play_as_one(announcement(position, minutes, self.call.language))
        finally:
            live = store.get_call(self.call.id)
            if live is not None and live.state in (CallState.QUEUED, CallState.OFFERING):
                self._hold_music()

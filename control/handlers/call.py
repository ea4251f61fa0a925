"""Entry point for one call: FreeSWITCH's outbound socket for the caller's leg.

answer → identify the caller → run the DID's IVR flow → wait in queue with
hold music and announcements → (another greenlet offers and bridges) → on
hangup write the call record and enqueue the wrap-up job. Whatever happens,
``finish`` runs: no agent stays reserved and no record goes missing.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import gevent
import gevent.event
import gevent.queue

from control import events
from control.domain.call_record import CallRecord, ended_by
from control.domain.models import Call, CallState, Outcome
from control.domain.numbers import normalize
from control.errors import CrmError, RedisError
from control.esl.nodes import NODE_LOST, call_node, node_names
from control.esl.outbound import AppTimeout, ChannelGone, OutboundChannel
from control.handlers import last_seen, offers
from control.handlers.flow_runner import FlowRunner
from control.handlers.media import Media
from control.handlers.outage import through_outage
from control.handlers.waiting import QueueWait
from control.logs import bind_call
from control.metrics import backend_error
from control.store.batch import hand_over

log = logging.getLogger(__name__)
# An overloaded controller reads a caller's CHANNEL_HANGUP_COMPLETE seconds after its socket closed.
EARLY_HANGUP_WAIT_S = 60.0


class CallHandler:
    """The application the OutboundServer runs per connection."""

    def __init__(self, deps, manager):
        self.deps, self.manager = deps, manager
        last_seen.for_manager(manager)   # subscribed from the start: callers who leave before ``connect``

    def __call__(self, channel: OutboundChannel) -> None:
        CallSession(self.deps, self.manager, channel).run()


class CallSession:
    def __init__(self, deps, manager, channel: OutboundChannel):
        self.deps, self.manager, self.channel = deps, manager, channel
        self.inbox: gevent.queue.Queue = gevent.queue.Queue()
        self._call: Call | None = None
        self.agent_id: str | None = None
        self.hangup_cause: str | None = None
        self.hangup_headers: dict[str, str] | None = None
        self.queued = False
        self.answered = False   # by this segment's controller (a resumed call was answered before)
        self.segment = 0
        self.first_connection = False
        self.done = gevent.event.Event()  # set when the caller leaves us without hanging up (transfer)

    @property
    def call(self) -> Call:
        """The call, from its channel data on (``_start``); a session is in ``manager.sessions`` only then."""
        if self._call is None:
            raise RuntimeError("the call has not started: no channel data yet")
        return self._call

    @call.setter
    def call(self, value: Call) -> None:
        self._call = value

    # -- the call's life ------------------------------------------------------
    def run(self) -> None:
        channel = self.channel
        try:
            data = channel.connect(take_over=True)
        except ChannelGone:
            self._left_before_connect()
            return
        if data.get("variable_hotline_feature"):
            from control.handlers.features import handle_feature

            handle_feature(self.deps, self.manager, channel, data)
            return
        self._start(data)
        bind_call(self.call.id)
        try:
            if self.segment:
                self._previous_segment_gone()
            resumed = self._resume()
            if resumed is not None:
                self._announce()
                self.wait_in_queue(resumed)
                self._wait_for_end()
                return
            channel.answer()
            self.answered = True
            self._announce()
            self._identify()
            direct = data.get("variable_hotline_queue")
            if direct:  # a transfer to a queue: skip the IVR, keep the caller's card
                self.call.ivr_path = [f"transferred to queue {direct}"]
                self.wait_in_queue(SimpleNamespace(queue=direct, requirements=(), priority=0, language=None))
            else:
                FlowRunner(self).run()
            self._wait_for_end()
        except (ChannelGone, AppTimeout):
            pass
        except Exception:  # a bug in one call must not leave state behind
            log.exception("call %s failed", self.call.id)
            self.call.outcome = self.call.outcome or Outcome.FAILED
        finally:
            self.finish()

    def _left_before_connect(self) -> None:
        """The caller hung up before this controller read its channel's data (a controller short of CPU
        accepts late). The call is recorded as abandoned from its CHANNEL_HANGUP_COMPLETE; only this
        controller held its socket, so no other writes it."""
        uuid = self.channel.gone_uuid
        facts = last_seen.for_manager(self.manager).caller(uuid, wait_s=EARLY_HANGUP_WAIT_S) if uuid else None
        if facts is None:   # a phone's feature code, or the hangup event never came
            if uuid:
                log.warning("channel %s left before connect and no caller's hangup event came for it within "
                            "%.0f s: no call record", uuid, EARLY_HANGUP_WAIT_S)
            return
        self._start(facts)
        self.hangup_cause = facts.get("Hangup-Cause")
        self.hangup_headers = {k: facts.get(k, "") for k in ("variable_sip_term_status", "variable_sip_hangup_phrase")}
        self.call.outcome = Outcome.ABANDONED
        self.finish()

    def _wait_for_end(self) -> None:
        if self.call.state == CallState.CONNECTED:
            gevent.wait([self.channel.hungup, self.done], count=1)
        elif not (self.done.is_set() or self.channel.hungup.is_set() or self.call.outcome == Outcome.TRANSFERRED):
            # a caller handed back to the dialplan would be connected to a controller again
            self.media().hangup("NORMAL_CLEARING")

    def node_lost(self) -> None:
        """Its switch node has been gone past node_loss_grace_s (reconcile.py): the call ends as if hung
        up, recorded with the hang-up cause NODE_LOST."""
        self.hangup_cause = NODE_LOST
        self.channel.hungup.set()
        self.inbox.put(("hangup", None))

    def transferred(self) -> None:
        """The console moved the caller elsewhere; this segment of the call is over."""
        self.call.outcome = Outcome.TRANSFERRED
        self.done.set()

    def _start(self, data: Mapping[str, str]) -> None:
        cfg, now = self.deps.config, self.deps.now()
        self.segment = int(data.get("variable_hotline_segment") or 0)
        # the dialplan counts the channel's connections to a controller (dialplan/public.xml)
        self.first_connection = data.get("variable_hotline_attempts") == "x"
        self.call = Call(
            id=data.get("Unique-ID") or self.channel.uuid,
            caller=normalize(data.get("Caller-Caller-ID-Number"), cfg.default_region),
            did=normalize(data.get("variable_hotline_did") or data.get("Caller-Destination-Number"),
                          cfg.default_region),
            created_at=now, controller_id=self.deps.controller_id, node=call_node(node_names(cfg), data),
            vars={"caller_name": data.get("Caller-Caller-ID-Name", ""), "segment": self.segment},
        )
        self.manager.sessions[self.call.id] = self
        self.channel.register_handle("DTMF", lambda e: self.inbox.put(("dtmf", e.headers.get("DTMF-Digit", ""))))
        self.channel.register_handle("CHANNEL_BRIDGE", lambda e: self.inbox.put(("bridged", e.headers)))
        self.channel.register_handle("CHANNEL_HANGUP", self._on_hangup)

    def _announce(self) -> None:
        """After the answer: the wallboard can wait, the caller's set-up cannot."""
        self.deps.publisher.publish("wallboard", events.call_started(self.call.id, self.call.caller, self.call.did))

    def _previous_segment_gone(self, limit_s: float = 2.0) -> None:
        """A transferred caller's next segment: the transfer's controller ends the agent's part once
        the switch accepted it (control/handlers/transfer.py), which may be just after this segment
        connected; wait (bounded) until the call is no longer held by that agent before queueing it."""
        for _ in range(int(limit_s / 0.02)):   # counted, not timed: the clock may be a test's
            live = self.deps.store.get_call(self.call.id)
            if live is None or live.state not in (CallState.OFFERING, CallState.CONNECTED):
                return
            gevent.sleep(0.02)
        log.warning("call %s: the previous segment still holds the call; queueing anyway", self.call.id)

    def _resume(self):
        """A call already waiting in Redis reconnects after its controller died (the dialplan runs
        ``socket`` again): take it over and keep its place in line instead of starting afresh."""
        if self.first_connection:   # no controller had it before: nothing to resume, no Redis read
            return None
        live = through_outage(self, self.deps.store.get_call, self.call.id)   # the caller rings meanwhile
        if live is None or live.state not in (CallState.QUEUED, CallState.OFFERING):
            return None
        live.controller_id = self.deps.controller_id
        self.call = live
        self.queued = True
        self.deps.store.put_call(live)
        log.info("resuming call %s in queue %s after a controller change", live.id, live.queue)
        return SimpleNamespace(queue=live.queue, requirements=[(r.skill, r.min_level) for r in live.requirements],
                               priority=live.priority, language=live.language)

    def _on_hangup(self, event) -> None:
        self.hangup_cause = event.headers.get("Hangup-Cause")
        self.hangup_headers = {k: event.headers.get(k, "") for k in ("variable_sip_term_status",
                                                                     "variable_sip_hangup_phrase")}
        self.inbox.put(("hangup", None))

    def _identify(self) -> None:
        """Customer lookup with a time budget: a slow or dead CRM never delays the call."""
        call = self.call
        budget = self.deps.config.crm_timeout_ms / 1000.0
        card, partial = None, False
        if call.caller != "anonymous":
            try:
                with gevent.Timeout(budget):
                    card = self.deps.offload(self.deps.customers.by_number, call.caller)
            except gevent.Timeout:
                partial = True
            except CrmError as exc:  # no built-in card and the CRM could not answer: expected, no traceback
                log.info("customer lookup for %s incomplete: %s", call.caller, exc)
                partial = True
            except Exception:  # the CRM is an outside system; its failures are expected
                log.warning("customer lookup failed for %s", call.caller, exc_info=True)
                partial = True
        if partial:
            backend_error("crm")
        call.vars["customer"] = card
        call.vars["customer_partial"] = partial or bool(card and card.get("partial"))
        if card:
            call.customer_id = card.get("id")
            call.tier = card.get("tier")
            call.language = card.get("language") or call.language
            call.vars["customer_name"] = card.get("name", "")

    # -- helpers used by FlowRunner / QueueWait ---------------------------------
    def media(self) -> Media:
        return Media(self.channel, self.deps.config.prompts_dir, self.call.language)

    def local_now(self) -> datetime:
        return datetime.fromtimestamp(self.deps.now(), ZoneInfo(self.deps.config.timezone))

    def wait_in_queue(self, command) -> dict:
        self.queued = True
        return QueueWait(self, command).run()

    # -- the end ----------------------------------------------------------------------
    def finish(self) -> None:
        deps, call = self.deps, self._call
        if call is None:   # the caller left before its channel data came
            return
        now = deps.now()
        call.ended_at = now
        if self.manager.sessions.get(call.id) is self:
            del self.manager.sessions[call.id]
        try:
            self._release_agent(now)
        except RedisError:   # live state unreachable: the reconciler puts it right; the record is written
            log.warning("call %s: live state not updated at its end (Redis unreachable)", call.id)
        finally:
            record = self._record(now)
            hand_over(deps, record)   # batched write, then the wrap-up job
            if not self.segment and call.outcome != Outcome.TRANSFERRED:
                try:
                    deps.call_log.drop(call.id)   # the record has it all; a transferred call's next segment goes on
                except RedisError:
                    log.info("call %s: its call log is left to expire (Redis unreachable)", call.id)
            outcome = record.outcome or Outcome.FAILED.value   # _record always sets it
            deps.publisher.publish("wallboard", events.call_ended(call.id, outcome, self.agent_id))

    def _release_agent(self, now: float) -> None:
        deps, call = self.deps, self.call
        if self.done.is_set():
            return  # transferred: call_actions already released the agent; the next segment owns the call
        live = deps.store.get_call(call.id)
        if call.state == CallState.CONNECTED and self.agent_id:
            self.manager.agents.end_conversation(self.agent_id, call.id, call.queue, call.answered_at)
        elif live is not None and live.state == CallState.OFFERING:
            leg = offers.current_leg(deps.call_log, call.id)
            if leg is not None:
                from control.handlers.actions import kill
                kill(deps.switch, leg[0])  # the offer greenlet then frees the agent
        if live is not None:
            deps.store.remove_call(call.id)

    def _record(self, now: float) -> CallRecord:
        call, deps = self.call, self.deps
        if self.hangup_cause is None and self.channel.gone.is_set() and not self.done.is_set() \
                and call.outcome != Outcome.TRANSFERRED:
            # the switch closed the caller's socket without a hangup event: its process or host went away
            self.hangup_cause = NODE_LOST
        if call.outcome is None:
            call.outcome = Outcome.ANSWERED if call.answered_at else (
                Outcome.ABANDONED if self.queued or self.hangup_cause or not (self.answered or self.segment)
                else Outcome.SELF_SERVICE)
        try:
            logged = deps.call_log.read_many(call.id, ("recording", "explanations", "offers"))
        except RedisError:   # the record is written without its offers and explanations, never lost
            log.warning("call %s: recorded without its call log (Redis unreachable)", call.id)
            logged = {"recording": [], "explanations": [], "offers": []}
        recording, explanations = logged["recording"], logged["explanations"]
        if self.hangup_headers is not None:
            explanations = [*explanations, {"kind": "end", "at": now,
                                            "by": ended_by(self.hangup_headers, call.answered_at is not None)}]
        offered = [e["at"] for e in explanations if e.get("kind") == "route" and "at" in e]
        talk = (now - call.answered_at) if call.answered_at else 0.0
        wait_end = call.answered_at or now
        return CallRecord(
            call_id=call.id if not self.segment else f"{call.id}:{self.segment}", caller=call.caller, did=call.did,
            customer_id=call.customer_id, queue=call.queue, agent_id=self.agent_id, ivr_path=list(call.ivr_path),
            entered_at=call.entered_at, offered_at=offered[0] if offered else None,
            answered_at=call.answered_at, ended_at=now,
            wait_s=round(wait_end - call.entered_at, 3) if call.entered_at else 0.0,
            talk_s=round(talk, 3), outcome=call.outcome.value, hangup_cause=self.hangup_cause,
            recording_path=recording[-1] if recording else None, offers=logged["offers"],
            explanations=explanations, language=call.language, priority=call.priority, tier=call.tier,
            node=call.node,
        )


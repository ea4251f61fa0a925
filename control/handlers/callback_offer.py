"""Offering a callback call: ring the agent (the pop says it is a callback), then dial the
customer and bridge the two legs. No answer or busy: the call waits ``callback_retry_s`` and
goes back to the queue in its place, up to ``callback_max_attempts``; then it fails. The agent
never stays stuck: every path ends in release (wrap-up after a conversation, else available).
"""
from __future__ import annotations

import logging
import uuid

import gevent

from control import events
from control.domain.call_record import CallRecord
from control.domain.models import AgentState, Outcome
from control.esl import commands
from control.esl.inbound import SwitchUnavailable
from control.handlers import actions, offers
from control.store.batch import hand_over

log = logging.getLogger(__name__)


def customer_leg_uuid(call_id: str, attempt: int) -> str:
    """Deterministic like the agent leg, so any controller can find (and kill) it."""
    return str(uuid.uuid5(actions.LEG_NAMESPACE, f"{call_id}/customer/{attempt}"))


def run(manager, decision, call, agent) -> None:
    deps = manager.deps
    store, agent_id = deps.store, agent.id
    info = call.vars.get("callback") or {}
    pop = events.callback_pop(info.get("number"), info.get("original_call_id"), int(info.get("attempts", 0)) + 1,
                              info.get("note"))
    rung = offers.ring_agent(manager, decision, call, agent, pop=pop, kind="callback")
    if rung is None:
        return
    leg, queue, body = rung
    if not body.startswith("+OK"):
        offers._not_answered(manager, call, agent_id, body, leg)
        return
    if not store.confirm(call.id, agent_id, deps.now()):
        # the lease lapsed and another controller took the call back: it stays queued
        actions.kill(deps.switch, leg)
        store.release(call.id, agent_id, AgentState.AVAILABLE, deps.now(), requeue_call=True)
        manager.trigger(broadcast=True)
        return
    manager.agents.note(agent_id, AgentState.ON_CALL)
    Dialer(manager, call, agent_id, leg, queue).run()


class Dialer:
    """The agent has answered: one attempt to reach the customer, and what follows."""

    def __init__(self, manager, call, agent_id: str, leg: str, queue):
        self.manager, self.deps = manager, manager.deps
        self.call, self.agent_id, self.leg, self.queue = call, agent_id, leg, queue
        self.service = manager.callbacks   # set: offers.run_offer offers callbacks only through it
        self.info = dict(call.vars.get("callback") or {})
        self.attempt = int(self.info.get("attempts", 0)) + 1
        self.customer = customer_leg_uuid(call.id, self.attempt)

    def run(self) -> None:
        legs = self.service.legs
        agent_gone, customer_gone = legs.watch(self.leg), legs.watch(self.customer)
        try:
            result = self._dial(agent_gone)
            if result == "+OK":
                self._talk(agent_gone, customer_gone)
            elif result == "AGENT_HANGUP":
                self._agent_left()
            else:
                self._unanswered(result)
        finally:
            legs.forget(self.leg, self.customer)

    def _dial(self, agent_gone) -> str:
        deps, cfg, call = self.deps, self.deps.config, self.call
        number = self.info.get("number") or call.caller
        self._publish(events.callback_dialing(call.id, number, self.attempt))
        variables = {"origination_uuid": self.customer, "hotline_call": call.id,
                     "originate_timeout": int(cfg.callback_ring_timeout_s), "ignore_early_media": True,
                     "origination_caller_id_number": call.did}
        try:
            command = commands.originate(variables, commands.number_dial(cfg.callback_dial_string, number))
        except ValueError as exc:
            log.warning("callback %s not dialled: %s", call.id, exc)
            return "INVALID_NUMBER_FORMAT"
        try:
            job = deps.switch.bgapi(command)
        except SwitchUnavailable:
            return "CONNECTION_LOST"
        gevent.wait([job, agent_gone], count=1)
        if not job.ready():  # the agent hung up while the customer's phone rang
            actions.kill(deps.switch, self.customer)
            job.wait(timeout=5.0)
            return "AGENT_HANGUP"
        body = job.get()
        if not body.startswith("+OK"):
            return body.strip().removeprefix("-ERR").strip() or "UNKNOWN"
        if agent_gone.is_set():
            actions.kill(deps.switch, self.customer, "NORMAL_CLEARING")
            return "AGENT_HANGUP"
        return "+OK"

    def _talk(self, agent_gone, customer_gone) -> None:
        deps, call, now = self.deps, self.call, self.deps.now()
        path = None
        if getattr(self.queue, "record", True):
            path = actions.recording_path(deps.config.recording_template, deps.config.recordings_dir, call.id, now)
        if not actions.connect(deps.switch, self.customer, self.leg, path):
            actions.kill(deps.switch, self.customer)
            self._unanswered("BRIDGE_FAILED")
            return
        call.answered_at = now
        # console actions (hold, hang up) go to the controller running this dialer, on the customer's leg
        call.controller_id = deps.controller_id
        call.vars["callback"] = {**(call.vars.get("callback") or {}), "customer_leg": self.customer}
        deps.store.put_call(call)
        self._log_attempt("answered")
        if path:
            deps.call_log.append(call.id, "recording", path)
        self._publish(events.answered(call.id, self.agent_id, now))
        deps.publisher.publish("wallboard", events.answered(call.id, self.agent_id, now))
        check_s = max(1.0, float(deps.config.reconcile_interval_s))
        while not (agent_gone.is_set() or customer_gone.is_set()):
            gevent.wait([agent_gone, customer_gone], timeout=check_s, count=1)
            if not (agent_gone.is_set() or customer_gone.is_set()) and not self._both_alive():
                break   # a hangup event lost with the Event Socket
        for leg in (self.leg, self.customer):
            actions.kill(deps.switch, leg, "NORMAL_CLEARING")
        self._finish(Outcome.ANSWERED, AgentState.WRAP_UP, "NORMAL_CLEARING")

    def _both_alive(self) -> bool:
        try:
            return all(self.deps.switch.api(commands.uuid_exists(leg)).strip() == "true" for leg in (self.leg, self.customer))
        except SwitchUnavailable:
            return True   # cannot tell now; the reconciler settles it after the reconnect

    def _agent_left(self) -> None:
        """Not the customer's fault: the call goes back to the queue, no attempt counted; the agent
        is not-ready, as after a missed offer, so the call goes to someone else."""
        deps = self.deps
        deps.store.release(self.call.id, self.agent_id, AgentState.NOT_READY, deps.now(), requeue_call=True)
        self._agent_freed(AgentState.NOT_READY, "missed: hung up on a callback")

    def _unanswered(self, cause: str) -> None:
        deps, cfg, call, now = self.deps, self.deps.config, self.call, self.deps.now()
        actions.kill(deps.switch, self.leg, "NORMAL_CLEARING")
        if cause == "CONNECTION_LOST":   # the originate's result was lost: its leg may be up, parked
            actions.kill(deps.switch, self.customer, "NORMAL_CLEARING")
        self._log_attempt(cause)
        self.info["attempts"] = self.attempt
        call.vars["callback"] = self.info
        if self.attempt < int(cfg.callback_max_attempts):
            due = now + float(cfg.callback_retry_s)
            call.ivr_path.append(f"callback attempt {self.attempt}: {cause}; retry")
            deps.store.defer(call, due, self.agent_id, AgentState.AVAILABLE, now)
            self._agent_freed(AgentState.AVAILABLE, f"customer: {cause}")
            self.service.arm_retry(due)
            return
        call.ivr_path.append(f"callback attempt {self.attempt}: {cause}; gave up")
        self._finish(Outcome.FAILED, AgentState.AVAILABLE, cause)

    def _finish(self, outcome: Outcome, agent_state: AgentState, cause: str) -> None:
        deps, call, now = self.deps, self.call, self.deps.now()
        call.ended_at, call.outcome = now, outcome
        if agent_state == AgentState.WRAP_UP:
            self.manager.agents.end_conversation(self.agent_id, call.id, call.queue, call.answered_at)
        else:
            deps.store.release(call.id, self.agent_id, agent_state, now, requeue_call=False)
            self._agent_freed(agent_state, None if outcome == Outcome.ANSWERED else f"customer: {cause}")
        hand_over(deps, callback_record(call, self.agent_id, deps.call_log, now, cause))   # record, then job
        deps.publisher.publish("wallboard", events.call_ended(call.id, outcome.value, self.agent_id, kind="callback"))
        self.service.row_finished(call, outcome.value, attempts=self.attempt)

    def _agent_freed(self, state: AgentState, reason: str | None) -> None:
        """The store released the agent with the call (not after a conversation: end_conversation)."""
        self.manager.agents.note(self.agent_id, state, reason)
        self._publish(events.ended(self.call.id, self.deps.now(), reason=reason))
        self._publish(events.state(self.agent_id, state.value, reason, self.deps.now()))
        self.manager.trigger(broadcast=True)

    def _log_attempt(self, result: str) -> None:
        self.deps.call_log.append(self.call.id, "explanations", {
            "kind": "callback_attempt", "attempt": self.attempt, "agent": self.agent_id, "result": result,
            "number": self.info.get("number"), "at": self.deps.now()})

    def _publish(self, message: dict) -> None:
        self.deps.publisher.publish(f"agent:{self.agent_id}", message)


def callback_record(call, agent_id: str | None, call_log, now: float, cause: str | None) -> CallRecord:
    """The callback call's record; ``explanations`` carry the link to the original call."""
    info = call.vars.get("callback") or {}
    logged = call_log.read_many(call.id, ("recording", "explanations", "offers"))
    explanations = [{"kind": "callback", "original_call_id": info.get("original_call_id"),
                     "row_id": info.get("row_id"), "number": info.get("number")}, *logged["explanations"]]
    recording = logged["recording"]
    offered = [e["at"] for e in explanations if e.get("kind") == "route" and "at" in e]
    answered = call.answered_at
    return CallRecord(
        call_id=call.id, caller=call.caller, did=call.did, customer_id=call.customer_id, queue=call.queue,
        agent_id=agent_id, ivr_path=list(call.ivr_path), entered_at=call.entered_at,
        offered_at=offered[0] if offered else None, answered_at=answered, ended_at=now,
        wait_s=round((answered or now) - call.entered_at, 3) if call.entered_at else 0.0,
        talk_s=round(now - answered, 3) if answered else 0.0, outcome=(call.outcome or Outcome.FAILED).value,
        hangup_cause=cause, recording_path=recording[-1] if recording else None, offers=logged["offers"],
        explanations=explanations, language=call.language, priority=call.priority, tier=call.tier,
    )

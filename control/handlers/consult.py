"""Attended (consultative) transfer: the agent talks to the target before handing the caller over.

Caller C, the agent's leg LA, the consult leg LB. Start: LA gets park_after_bridge=true, C goes to
hold music (``uuid_transfer C endless_playback:<moh> inline``), LB is originated (park_after_bridge=true)
and on answer ``uuid_bridge LA LB``. Complete: ``uuid_bridge C LB``, kill LA. Cancel, or LB fails or
hangs up: ``uuid_bridge C LA``, kill LB. C's recording runs on throughout. The caller hanging up ends
the consult; the agent hanging up completes it (once LB answered). docs/console.md has the rules.
The state is this controller's (it owns the caller's socket); every step is published as
``{"type": "consult", "state": ...}`` to ``agent:<id>`` and the wallboard.
"""
from __future__ import annotations

import logging

import gevent

from control import events
from control.domain.agent_state import InvalidTransition
from control.domain.models import AgentState, CallState
from control.esl import commands
from control.esl.inbound import SwitchUnavailable
from control.handlers import actions, offers
from control.handlers.consult_legs import (Consult, hold_target, originate, requeue_or_end, ring_timeout_s,
                                           tell, try_api)
from control.handlers.refused import ActionRefused

log = logging.getLogger(__name__)

HANGUP = "CHANNEL_HANGUP_COMPLETE"
RING_MARGIN_S = 30.0


def registry(manager) -> dict[str, Consult]:
    """This controller's consultations by call id; the first use subscribes to hangups."""
    if not manager.consults_watched:
        manager.consults_watched = True
        manager.deps.switch.subscribe(lambda headers: on_switch_event(manager, headers), (HANGUP,))
    return manager.consults


# -- console actions ---------------------------------------------------------------------
def start(manager, call, to: str, target: str, by: str | None = None) -> str:
    deps, consults = manager.deps, registry(manager)
    if call.id in consults:
        raise ActionRefused("a consultation is already under way on this call")
    leg = offers.current_leg(deps.call_log, call.id)
    if call.state != CallState.CONNECTED or not call.agent_id or leg is None or leg[1] != call.agent_id:
        raise ActionRefused("the call is not connected to an agent")
    now = deps.now()
    target_agent = hold_target(deps, call, to, target, now)
    attempt = len(deps.call_log.read(call.id, "offers"))
    c = Consult(call.id, call.agent_id, leg[0], to, target, target_agent,
                actions.agent_leg_uuid(call.id, target_agent or f"external:{target}", attempt), call.queue, by)
    agent = deps.store.get_agent(target_agent) if target_agent else None
    try:
        deps.switch.api(commands.uuid_setvar(c.agent_leg, "park_after_bridge", "true"))
        reply = deps.switch.api(commands.uuid_transfer_inline(call.id, "endless_playback", deps.config.moh))
        if not reply.startswith("+OK"):
            try_api(deps, commands.uuid_setvar(c.agent_leg, "park_after_bridge"))
            raise ActionRefused(f"could not put the caller on hold: {reply.strip()[:120]}")
        job = originate(deps, c, call, agent)
    except (SwitchUnavailable, ActionRefused) as exc:
        _release_target(manager, c, notify=False)
        if isinstance(exc, SwitchUnavailable):
            raise ActionRefused(f"no connection to the switch: {exc}") from exc
        raise
    consults[call.id] = c
    if target_agent:   # the reconciler leaves the target reserved while this controller lives
        deps.store.mark_consult(call.id, target_agent, deps.controller_id)
    if agent is not None:
        manager.agents.note(agent.id, AgentState.RESERVED, "consult")
        deps.publisher.publish(f"agent:{agent.id}", events.offer(call, agent.id, now, consult_from=c.agent_id))
    deps.call_log.append(call.id, "explanations", {"kind": "consult", "to": to, "target": target,
                                                   "agent": target_agent, "by": by, "at": now})
    tell(deps, c, "ringing")
    gevent.spawn(_ring, manager, c, job)
    return f"+OK consulting {target}\n"


def complete(manager, call_id: str, by: str | None = None) -> str:
    c = _find(manager, call_id)
    with c.lock:
        if c.state != "talking":
            raise ActionRefused("the consulted party has not answered yet" if c.state == "ringing"
                                else "the consultation is over")
        return _complete(manager, c, by)


def cancel(manager, call_id: str, by: str | None = None) -> str:
    c = _find(manager, call_id)
    with c.lock:
        if c.state == "ringing":
            c.state = "cancelling"      # the ringing greenlet sees the originate fail and takes it back
            try_api(manager.deps, commands.uuid_kill(c.leg, "ORIGINATOR_CANCEL"))
            return "+OK cancelling\n"
        if c.state == "talking":
            _fail(manager, c, "cancelled")
            return "+OK cancelled\n"
    raise ActionRefused("the consultation is over")


def active(manager, call_id: str) -> bool:
    return call_id in manager.consults


def _find(manager, call_id: str) -> Consult:
    c = registry(manager).get(call_id)
    if c is None:
        raise ActionRefused("no consultation on this call")
    return c


# -- what the switch reports -------------------------------------------------------------
def on_switch_event(manager, headers: dict) -> None:
    """Called on the Event Socket's reader: the work goes to its own greenlet (it sends commands)."""
    if headers.get("Event-Name") != HANGUP:
        return
    uuid = headers.get("Unique-ID", "")
    for c in list(manager.consults.values()):
        if uuid in (c.call_id, c.agent_leg, c.leg):
            gevent.spawn(leg_gone, manager, c, uuid)


def leg_gone(manager, c: Consult, uuid: str) -> None:
    deps = manager.deps
    with c.lock:
        if c.state == "done":
            return
        if uuid == c.call_id:           # the caller hung up: nobody to transfer; end both legs
            _done(manager, c)
            actions.kill(deps.switch, c.leg, "NORMAL_CLEARING")
            actions.kill(deps.switch, c.agent_leg, "NORMAL_CLEARING")
            _release_target(manager, c)
            tell(deps, c, "ended", cause="caller_left")
        elif uuid == c.agent_leg:       # the agent hung up: hand the caller over (on answer, if ringing)
            c.agent_gone = True
            if c.state == "talking":
                _complete(manager, c, "agent_hangup")
        elif uuid == c.leg and c.state == "talking":
            _fail(manager, c, "target_hung_up")


def _ring(manager, c: Consult, job) -> None:
    deps = manager.deps
    try:
        body = job.get(timeout=ring_timeout_s(deps, c.queue) + RING_MARGIN_S)
    except gevent.Timeout:
        body = "-ERR TIMEOUT"
    with c.lock:
        answered = body.startswith("+OK")
        if c.state == "done" or (answered and c.state == "cancelling"):
            if answered:
                actions.kill(deps.switch, c.leg, "NORMAL_CLEARING")
            if c.state == "done":
                return
        if not answered or c.state == "cancelling":
            cause = "cancelled" if c.state == "cancelling" else body.strip().removeprefix("-ERR").strip()
            _fail(manager, c, cause or "UNKNOWN")
            return
        if not c.agent_gone and try_api(deps, commands.uuid_bridge(c.agent_leg, c.leg)).startswith("+OK"):
            c.state = "talking"
            tell(deps, c, "talking")
            return
        _complete(manager, c, "agent_hangup")   # the agent's leg is gone: the target takes the caller


# -- outcomes ----------------------------------------------------------------------------
def _complete(manager, c: Consult, by: str | None) -> str:
    deps, now = manager.deps, manager.deps.now()
    if not try_api(deps, commands.uuid_bridge(c.call_id, c.leg)).startswith("+OK"):
        _fail(manager, c, "target_gone")
        return "-ERR the consulted party is gone\n"
    _done(manager, c)
    actions.kill(deps.switch, c.agent_leg, "NORMAL_CLEARING")
    try_api(deps, commands.uuid_setvar(c.leg, "park_after_bridge"))
    session = manager.sessions.get(c.call_id)
    if c.target_agent:
        if not deps.store.hand_over_call(c.call_id, c.agent_id, c.target_agent):
            log.warning("call %s was not %s's to hand over to %s", c.call_id, c.agent_id, c.target_agent)
        # the call goes on with the target: its handle time is sampled when it ends (call.py)
        _end_conversation(manager, c, release=False)
        _set_state(manager, c.target_agent, AgentState.ON_CALL)
        deps.call_log.append(c.call_id, "offers", c.target_agent)
        if session is not None:
            session.agent_id = session.call.agent_id = c.target_agent
    else:                                # an outside party has the caller: this segment is over
        _end_conversation(manager, c, release=True)
        if session is not None:
            session.transferred()
    deps.call_log.append(c.call_id, "explanations", {
        "kind": "transfer", "mode": "attended", "from": c.agent_id, "to": c.to, "target": c.target,
        "agent": c.target_agent, "by": by, "at": now})
    if c.target_agent:
        message = events.answered(c.call_id, c.target_agent, now, transferred_from=c.agent_id)
        deps.publisher.publish(f"agent:{c.target_agent}", message)
        deps.publisher.publish("wallboard", message)
    tell(deps, c, "completed", by=by)
    return "+OK transferred\n"


def _fail(manager, c: Consult, cause: str) -> None:
    """No transfer: the caller goes back to the agent; the consult leg and the target are let go."""
    deps = manager.deps
    _done(manager, c)
    back = "-ERR agent gone" if c.agent_gone else try_api(deps, commands.uuid_bridge(c.call_id, c.agent_leg))
    actions.kill(deps.switch, c.leg, "NORMAL_CLEARING")
    if back.startswith("+OK"):
        try_api(deps, commands.uuid_setvar(c.agent_leg, "park_after_bridge"))
    else:
        requeue_or_end(manager, c)
    _release_target(manager, c)
    deps.call_log.append(c.call_id, "explanations", {"kind": "consult", "result": cause, "target": c.target,
                                                     "agent": c.target_agent, "at": deps.now()})
    tell(deps, c, "cancelled" if cause == "cancelled" else "failed", cause=cause)


def _release_target(manager, c: Consult, notify: bool = True) -> None:
    if not c.target_agent:
        return
    deps = manager.deps
    deps.store.release(c.call_id, c.target_agent, AgentState.AVAILABLE, deps.now(), requeue_call=False)
    agent = deps.store.get_agent(c.target_agent)
    if notify and agent is not None:
        deps.publisher.publish(f"agent:{c.target_agent}", events.ended(c.call_id, deps.now(), reason="consult_ended"))
        _set_state(manager, agent.id, agent.state)   # as it is now (they may have logged out meanwhile)


def _end_conversation(manager, c: Consult, release: bool) -> None:
    try:
        manager.agents.end_conversation(c.agent_id, c.call_id, c.queue, None, release=release, reason="transferred")
    except (InvalidTransition, KeyError) as exc:
        log.warning("consult: agent %s not put in wrap-up: %s", c.agent_id, exc)


def _set_state(manager, agent_id: str, state: AgentState) -> None:
    """Through the state machine, published; the agent may have moved on (logged out) meanwhile."""
    try:
        manager.agents.change(agent_id, state)
    except (InvalidTransition, KeyError) as exc:
        log.warning("consult: agent %s not set to %s: %s", agent_id, AgentState(state).value, exc)


def _done(manager, c: Consult) -> None:
    c.state = "done"
    manager.consults.pop(c.call_id, None)
    if c.target_agent:
        manager.deps.store.clear_consult(c.call_id)



"""Offering one call to one agent: pop, ring, then bridge or give the call back."""
from __future__ import annotations

import logging
from dataclasses import replace

import gevent

from control import events
from control.domain.models import AgentState, CallState
from control.esl.inbound import SwitchUnavailable
from control.handlers import actions
from control.metrics import QUEUE_TO_RING_SECONDS

log = logging.getLogger(__name__)


def current_leg(call_log, call_id: str) -> tuple[str, str] | None:
    """(leg uuid, agent id) of the latest offer of a call, from the shared call log; after a ring
    group (ring_group.py) that someone answered, the winner's leg rather than the last one rung."""
    offered = call_log.read(call_id, "offers")
    if not offered:
        return None
    won = call_log.read(call_id, "won") if len(offered) > 1 else []
    if won and won[-1]["offers"] == len(offered):
        return actions.agent_leg_uuid(call_id, won[-1]["agent"], won[-1]["attempt"]), won[-1]["agent"]
    return actions.agent_leg_uuid(call_id, offered[-1], len(offered) - 1), offered[-1]


def run_offer(manager, decision, agent_id: str) -> None:
    deps = manager.deps
    store, now = deps.store, deps.now()
    call, agent = store.get_call(decision.call_id), store.get_agent(agent_id)
    if call is None or agent is None:
        store.release(decision.call_id, agent_id, AgentState.AVAILABLE, now, requeue_call=call is not None)
        return
    if call.kind == "callback":  # no caller leg: ring the agent, then dial the customer (callbacks.py)
        if manager.callbacks is None:
            log.error("callback %s not offered: this manager dials no callbacks (control/app.py sets "
                      "manager.callbacks)", call.id)
            store.release(call.id, agent_id, AgentState.AVAILABLE, now, requeue_call=True)
            return None
        return manager.callbacks.offer(decision, call, agent)
    rung = ring_agent(manager, decision, call, agent)
    if rung is None:
        return
    leg, queue, body = rung
    if body.startswith("+OK"):
        _answered(manager, call, agent_id, leg, queue)
    else:
        _not_answered(manager, call, agent_id, body, leg)


def ring_agent(manager, decision, call, agent, pop: dict | None = None, kind: str | None = None):
    """Log the offer, send the pop (before the phone rings), ring the agent's phone and wait, renewing
    the lease. Returns (leg uuid, queue config, originate reply), or None when the switch is out of
    reach (the agent is freed and the call goes back to the queue)."""
    deps = manager.deps
    store, now, agent_id = deps.store, deps.now(), agent.id
    offers_logged, _ = deps.call_log.append_many(
        call.id, [("offers", agent_id), ("explanations", {**decision.explanation, "agent": agent_id, "at": now})])
    attempt = offers_logged - 1
    queue = deps.queues.current().get(decision.queue)
    ring_s = getattr(queue, "ring_timeout_s", None) or deps.config.ring_timeout_s
    leg = actions.agent_leg_uuid(call.id, agent_id, attempt)

    try:
        job = start_ring(deps, call, agent, leg, ring_s, now, pop, kind=kind)
    except SwitchUnavailable:
        store.release(call.id, agent_id, AgentState.AVAILABLE, deps.now(), requeue_call=True)
        manager.trigger()
        return None
    except ValueError as exc:   # the agent's phone cannot be dialled (commands.user_dial): nothing was sent
        log.error("agent %s not rung for call %s: %s", agent_id, call.id, exc)
        store.release(call.id, agent_id, AgentState.NOT_READY, deps.now(), requeue_call=True)
        manager.agents.note(agent_id, AgentState.NOT_READY, "phone cannot be dialled")
        manager.trigger(broadcast=True)
        return None
    return leg, queue, _wait_renewing(deps, job, call.id, agent_id)


def start_ring(deps, call, agent, leg: str, ring_s: float, now: float, pop: dict | None = None,
               kind: str | None = None, ring: str | None = None):
    """The pop (before the phone rings) and the wallboard's offer, then the agent's leg is originated;
    returns the originate job. ``pop``: a callback call's details (events.callback_pop). Raises SwitchUnavailable,
    or ValueError (before any pop) when the agent's extension cannot go into a dial string."""
    dial = actions.dial_string(deps.config.agent_dial_string, agent.extension, deps.config.sip_domain)
    waiter = deps.consoles.expect(call.id, agent.id) if deps.consoles.is_open(agent.id) else None
    deps.publisher.publish(f"agent:{agent.id}", events.offer(call, agent.id, now, callback=pop))
    deps.publisher.publish("wallboard", events.offer_rung(call.id, agent.id, call.queue, kind=kind, ring=ring))
    deps.publisher.flush()   # the pop is in Redis before the agent's phone rings
    card_before_ring(deps, call.id, agent.id, waiter, now)
    if call.entered_at:
        QUEUE_TO_RING_SECONDS.observe(max(0.0, now - call.entered_at))
    queue = deps.queues.current().get(call.queue) if call.queue else None
    return actions.originate_agent(deps.switch, leg, call, agent, dial, ring_s,
                                   auto_answer=getattr(queue, "auto_answer", None))


def card_before_ring(deps, call_id: str, agent_id: str, waiter, published_at: float) -> None:
    """Hold the ring until the agent's open console has the card on screen, at most
    ``pop_ack_budget_ms``; the explanation says whether the card came first and when. With no
    console open (a desk-phone agent) nothing waits and nothing is noted: there is no card to race."""
    if waiter is None:
        return
    acked = waiter.wait(max(0.0, float(deps.config.pop_ack_budget_ms) / 1000.0))
    deps.call_log.append(call_id, "explanations", {
        "kind": "pop", "agent": agent_id, "console": "acknowledged" if acked else "no acknowledgement in time",
        "card_first": acked, "waited_ms": round((deps.now() - published_at) * 1000.0, 1), "at": published_at})


def _wait_renewing(deps, job, call_id: str, agent_id: str) -> str:
    lease = deps.config.reservation_lease_s
    while True:
        try:
            return job.get(timeout=max(1.0, lease / 3))
        except gevent.Timeout:
            deps.store.renew(call_id, agent_id, lease, deps.now())


def _answered(manager, call, agent_id: str, leg: str, queue) -> None:
    deps = manager.deps
    now = deps.now()
    if not deps.store.confirm(call.id, agent_id, now):
        # the caller left while the phone rang: free the agent, drop the leg
        actions.kill(deps.switch, leg)
        deps.store.release(call.id, agent_id, AgentState.AVAILABLE, now, requeue_call=False)
        deps.publisher.publish(f"agent:{agent_id}", events.ended(call.id, now, reason="caller_left"))
        return
    bridge(manager, call, agent_id, leg, queue, now)


def bridge(manager, call, agent_id: str, leg: str, queue, now: float) -> None:
    """The agent answered and holds the call (confirmed): record, bridge, tell the console."""
    deps = manager.deps
    path = None
    if getattr(queue, "record", True):
        path = actions.recording_path(deps.config.recording_template, deps.config.recordings_dir, call.id, now)
    if not actions.connect(deps.switch, call.id, leg, path):
        actions.kill(deps.switch, leg)
        if actions.exists(deps.switch, call.id):
            _back_in_line(manager, call, agent_id, path, now)
            return
        deps.store.release(call.id, agent_id, AgentState.AVAILABLE, now, requeue_call=False)
        deps.publisher.publish(f"agent:{agent_id}", events.ended(call.id, now, reason="caller_left"))
        return
    manager.agents.note(agent_id, AgentState.ON_CALL)
    if path:
        deps.call_log.append(call.id, "recording", path)
    message = events.answered(call.id, agent_id, now)
    deps.publisher.publish(f"agent:{agent_id}", message)
    deps.publisher.publish("wallboard", message)


def _back_in_line(manager, call, agent_id: str, recording: str | None, now: float) -> None:
    """The agent's phone answered, then went away before the bridge: the caller is still here,
    so they go back in line (their place kept) with hold music, and the agent is treated as
    having missed the offer."""
    deps = manager.deps
    deps.store.release(call.id, agent_id, AgentState.NOT_READY, now, requeue_call=False)
    manager.agents.note(agent_id, AgentState.NOT_READY, "missed: hung up before the bridge")
    waiting = replace(call, state=CallState.QUEUED, agent_id=None)   # the dispatcher's copy is shared
    deps.store.put_call(waiting, create=True)
    actions.hold_again(deps.switch, call.id, deps.config.moh, recording)
    message = events.missed(call.id, agent_id, "HUNG_UP_BEFORE_BRIDGE", "not_ready")
    deps.publisher.publish(f"agent:{agent_id}", message)
    deps.publisher.publish("wallboard", message)
    manager.trigger(broadcast=True)


def _not_answered(manager, call, agent_id: str, body: str, leg: str | None = None) -> None:
    deps = manager.deps
    now = deps.now()
    cause = body.strip().removeprefix("-ERR").strip() or "UNKNOWN"
    if cause == "CONNECTION_LOST":
        _connection_lost(manager, call, agent_id, leg)
        return
    still_waiting = deps.store.get_call(call.id) is not None and cause != "ORIGINATOR_CANCEL"
    if still_waiting:
        # a missed offer: the agent goes not-ready and the call goes to the next agent
        deps.store.release(call.id, agent_id, AgentState.NOT_READY, now, requeue_call=True)
    else:
        deps.store.release(call.id, agent_id, AgentState.AVAILABLE, now, requeue_call=False)
    manager.agents.note(agent_id, AgentState.NOT_READY if still_waiting else AgentState.AVAILABLE,
                        f"missed: {cause}" if still_waiting else None)
    message = events.missed(call.id, agent_id, cause, "not_ready" if still_waiting else "available")
    deps.publisher.publish(f"agent:{agent_id}", message)
    deps.publisher.publish("wallboard", message)
    manager.trigger(broadcast=True)


def _connection_lost(manager, call, agent_id: str, leg: str | None) -> None:
    """The Event Socket dropped while the phone rang: the originate's result is lost, not the
    agent's fault. Once reconnected, drop the leg (it may have answered into park) and give the
    call back, leaving the agent available."""
    deps = manager.deps
    deps.switch.wait_ready(deps.config.reservation_lease_s / 2)
    if leg is not None:
        actions.kill(deps.switch, leg)
    still_waiting = deps.store.get_call(call.id) is not None
    deps.store.release(call.id, agent_id, AgentState.AVAILABLE, deps.now(), requeue_call=still_waiting)
    deps.publisher.publish(f"agent:{agent_id}", events.missed(call.id, agent_id, "CONNECTION_LOST", "available"))
    manager.trigger(broadcast=True)

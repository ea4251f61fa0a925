"""Put live state right again after crashes, lost events or lapsed leases.

Runs on a timer and after every Event Socket reconnect. It compares Redis with
the channels FreeSWITCH really has: no agent stays stuck reserved or on a call
that is gone, and no ghost call waits in a queue.
"""
from __future__ import annotations

import json
import logging

from control.domain.models import AgentState, CallState
from control.esl.inbound import SwitchUnavailable
from control.handlers import actions, offers

log = logging.getLogger(__name__)

WRAP_UP_GRACE_S = 5.0


def live_channels(switch) -> set[str] | None:
    try:
        body = switch.api("show channels as json")
    except SwitchUnavailable:
        return None
    try:
        rows = json.loads(body).get("rows") or []
    except (ValueError, AttributeError):
        log.warning("unexpected 'show channels as json' reply: %r", body[:200])
        return None
    return {row.get("uuid") for row in rows if isinstance(row, dict)}


def restore_lost_state(manager) -> int:
    """Redis came back empty (a restart without persistence): put back the calls whose sockets this
    controller holds, then the agents from the database (``manager.resync_agents``, set by the
    composition root), those on our bridged calls as on-call. Returns the number of agents put back."""
    store = manager.deps.store
    if getattr(manager, "resync_agents", None) is None or store.agents():
        return 0
    busy: dict[str, str] = {}
    for session in list(manager.sessions.values()):
        call = session.call
        if call is None or store.get_call(call.id) is not None:
            continue
        if call.state == CallState.CONNECTED and session.agent_id:
            call.agent_id = session.agent_id
            busy[session.agent_id] = call.id
            store.put_call(call)
        elif session.queued and call.state in (CallState.QUEUED, CallState.OFFERING):
            call.state, call.agent_id = CallState.QUEUED, None
            store.put_call(call)
    count = manager.resync_agents(busy)
    log.warning("live state was lost: put back %d agents and %d local calls", count,
                sum(1 for s in manager.sessions.values() if s.call is not None and store.get_call(s.call.id)))
    return count


def reconcile(manager) -> dict[str, int]:
    deps = manager.deps
    restore_lost_state(manager)
    store, now = deps.store, deps.now()
    fixed = {"leases": 0, "ghost_calls": 0, "stuck_agents": 0, "wrap_ups": 0}

    for call_id, agent_id in store.expired_reservations(now):
        if call_id in manager._offering:  # our own offer is still ringing; it renews its lease
            continue
        leg = offers.current_leg(deps.call_log, call_id)
        if leg is not None:
            actions.kill(deps.switch, leg[0])
        store.release(call_id, agent_id, AgentState.AVAILABLE, now, requeue_call=True)
        fixed["leases"] += 1

    live = live_channels(deps.switch)
    if live is not None:
        for call in store.waiting_calls():
            if call.id not in live and call.state == CallState.QUEUED:
                store.remove_call(call.id)
                deps.offload(deps.records.write, _ghost_record(call, now))
                fixed["ghost_calls"] += 1
    for agent in store.agents():
        if agent.state in (AgentState.ON_CALL, AgentState.RESERVED) and live is not None:
            if agent.call_id and agent.call_id not in live and agent.call_id not in manager._offering:
                to = AgentState.WRAP_UP if agent.state == AgentState.ON_CALL else AgentState.AVAILABLE
                orphan = store.get_call(agent.call_id) if to == AgentState.WRAP_UP else None
                store.release(agent.call_id, agent.id, to, now, requeue_call=False)
                if orphan is not None and orphan.id not in manager.sessions:
                    # its controller died while the call was bridged: nobody else writes its record
                    deps.offload(deps.records.write, _orphan_record(orphan, agent.id, now))
                if to == AgentState.WRAP_UP:
                    manager.start_wrap_up(agent.id, deps.config.wrap_up_s)
                fixed["stuck_agents"] += 1
        elif agent.state == AgentState.WRAP_UP and agent.id not in manager._wrapups:
            limit = (getattr(agent, "wrap_up_s", None) or deps.config.wrap_up_s) + WRAP_UP_GRACE_S
            if now - agent.state_since > limit:
                manager.set_agent_state(agent.id, AgentState.AVAILABLE)
                fixed["wrap_ups"] += 1
    if any(fixed.values()):
        log.info("reconciled: %s", fixed)
        manager.trigger()
    return fixed


def _ghost_record(call, now: float) -> dict:
    return {
        "call_id": call.id, "caller": call.caller, "did": call.did, "customer_id": call.customer_id,
        "queue": call.queue, "agent_id": None, "ivr_path": list(call.ivr_path),
        "entered_at": call.entered_at, "offered_at": call.offered_at, "answered_at": None, "ended_at": now,
        "wait_s": round(now - call.entered_at, 3) if call.entered_at else 0.0, "talk_s": 0.0,
        "outcome": "abandoned", "hangup_cause": "LOST_CHANNEL", "disposition": None, "recording_path": None,
        "offers": [], "explanations": [], "language": call.language, "priority": call.priority, "tier": call.tier,
    }


def _orphan_record(call, agent_id: str, now: float) -> dict:
    answered = call.answered_at
    return {**_ghost_record(call, now), "agent_id": agent_id, "answered_at": answered,
            "wait_s": round((answered or now) - call.entered_at, 3) if call.entered_at else 0.0,
            "talk_s": round(now - answered, 3) if answered else 0.0,
            "outcome": "answered" if answered else "abandoned", "hangup_cause": "CONTROLLER_LOST"}

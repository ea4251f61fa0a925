"""Put live state right again after crashes, lost events or lapsed leases.

Runs on a timer and after every Event Socket reconnect. It compares Redis with
the channels FreeSWITCH really has: no agent stays stuck reserved or on a call
that is gone, and no ghost call waits in a queue.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from control.domain.call_record import CallRecord
from control.domain.call_state import move
from control.domain.models import AgentState, CallState
from control.errors import RedisError
from control.esl import commands
from control.esl.inbound import SwitchUnavailable
from control.esl.nodes import DEFAULT_NODE, NODE_LOST, NodeSwitch
from control.handlers import actions, offers
from control.handlers.last_seen import for_manager as last_seen
from control.handlers.orphans import break_orphans, controller_alive
from control.store.batch import hand_over
from control.store.keys import Keys
from control.store.ring_groups import GROUP

log = logging.getLogger(__name__)

WRAP_UP_GRACE_S = 5.0
# a live writer drains its batch in milliseconds (seconds while the database is slow); older than
# this, the controller that parked a call record is taken to have died (control/store/outbox.py)
PARKED_RECORD_GRACE_S = 60.0
EPOCH_MARK_S = 86400   # a controller looks every reconcile_interval_s; a day is far longer
SWEPT = {AgentState.ON_CALL.value, AgentState.RESERVED.value, AgentState.WRAP_UP.value}
# The pass the event connection's reconnect starts may come before the reconciler's own connection
# is back (each reconnects every esl_reconnect_s); without the wait it saw nothing and did nothing.
LIST_WAIT_S = 3.0


class LiveView:
    """The channels of every node that answered ``show channels`` (``live``; None when none did), and
    the nodes that did not: a channel on one of those is neither alive nor gone as far as we know.
    Each node is asked over the reconciler's own connection when there is one (``lists``)."""

    def __init__(self, switch, lists: Mapping[str, Any] | None = None):
        several = isinstance(switch, NodeSwitch)
        sources = dict(lists) if lists else dict(switch.clients) if several else {DEFAULT_NODE: switch}
        self.names = set(sources) if several else set()
        self.blind: set[str] = set()
        found: set[str] = set()
        for name, client in sources.items():
            if lists:   # its own connection reconnects on its own: a pass right after a reconnect waits for it
                client.wait_ready(LIST_WAIT_S)
            channels = live_channels(client)
            if channels is None:
                self.blind.add(name)
            else:
                found |= channels
        self.live = found if len(self.blind) < len(sources) else None

    def sure(self, node: str | None) -> bool:
        """Whether the list says for sure if a channel of ``node`` (None: not known) is there."""
        return self.live is not None and (not self.blind or (node in self.names and node not in self.blind))


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
    return {row["uuid"] for row in rows if isinstance(row, dict) and isinstance(row.get("uuid"), str)}


def restore_lost_state(manager) -> int:
    """Redis came back empty (a restart without persistence, FLUSHDB): put back the calls whose sockets
    this controller holds (with their place: ``entered_at`` and ``seq``), then the agents from the
    database (``manager.resync_agents``, set by the composition root: each as its state history says),
    those on our bridged calls as on-call. Every controller notices the loss itself (its epoch mark is
    gone), so each puts back its own calls even when another controller has put the agents back
    already; then it only sets the agents on its bridged calls on-call. Returns the agents put back."""
    store = manager.deps.store
    lost = _epoch_lost(manager)
    empty = manager.resync_agents is not None and not store.has_agents()
    if not (lost or empty):
        return 0
    busy = _put_back_local_calls(manager)
    count = manager.resync_agents(busy) if empty and manager.resync_agents is not None else \
        _on_our_calls(store, busy, manager.deps.now())
    log.warning("live state was lost: put back %d agents and %d local calls", count,
                sum(1 for s in manager.sessions.values() if s.call is not None and store.get_call(s.call.id)))
    return count


def _epoch_lost(manager) -> bool:
    """True when this controller's epoch mark, set at its previous look, is gone from Redis (SET ... GET:
    check and mark in one step). A controller's first look only marks."""
    client = getattr(manager, "redis", None)
    if client is None:
        return False
    deps = manager.deps
    try:
        previous = client.set(Keys(deps.config.redis_prefix).controller_epoch(deps.controller_id), "1",
                              ex=EPOCH_MARK_S, get=True)
    except RedisError:
        return False
    seen, manager.epoch_marked = manager.epoch_marked, True
    return bool(seen) and previous is None


def _on_our_calls(store, busy: dict[str, str], now: float) -> int:
    """Agents another controller put back (from their history) that talk on one of our calls: on-call."""
    count = 0
    for agent_id, call_id in busy.items():
        agent = store.get_agent(agent_id)
        if agent is not None and (agent.state != AgentState.ON_CALL or agent.call_id != call_id):
            agent.state, agent.call_id, agent.break_reason, agent.state_since = AgentState.ON_CALL, call_id, None, now
            store.put_agent(agent)
            count += 1
    return count


def _put_back_local_calls(manager) -> dict[str, str]:
    """The calls whose socket this controller holds, put back where live state lost them; returns the
    agents on our bridged calls (agent id -> call id)."""
    store = manager.deps.store
    busy: dict[str, str] = {}
    for session in list(manager.sessions.values()):
        call = session.call
        if call is None or store.get_call(call.id) is not None:
            continue
        if call.state == CallState.CONNECTED and session.agent_id:
            call.agent_id = session.agent_id
            busy[session.agent_id] = call.id
            store.put_call(call, create=True)
        elif session.queued and call.state in (CallState.QUEUED, CallState.OFFERING):
            move(call, CallState.QUEUED)
            call.agent_id = None
            store.put_call(call, create=True)
    return busy


def reconcile(manager) -> dict[str, int]:
    deps = manager.deps
    restore_lost_state(manager)
    store, now = deps.store, deps.now()
    fixed = {"leases": 0, "ghost_calls": 0, "stuck_agents": 0, "wrap_ups": 0}

    for call_id, agent_id in store.expired_reservations(now):
        if manager.offering(call_id):  # our own offer is still ringing; it renews its lease
            continue
        if agent_id == GROUP:  # several agents rang for the call (ring-all, ring-progressively)
            _sweep_group(deps, call_id, now)
            fixed["leases"] += 1
            continue
        leg = offers.current_leg(deps.call_log, call_id)
        if leg is not None:
            actions.kill(deps.switch, leg[0])
        store.release(call_id, agent_id, AgentState.AVAILABLE, now, requeue_call=True)
        fixed["leases"] += 1

    # Live state first, the switch's channels second: a call (or an agent's call) read first had its
    # channel before the channel list was taken, so missing from that list means gone. The other way
    # round, a caller who arrived between the two reads looked gone and was swept while waiting.
    fixed["node_lost"] = end_lost_nodes(manager, now)
    waiting, swept = store.waiting_calls(), _agents_in(store, SWEPT)
    view = LiveView(deps.switch, manager.channel_lists)
    live = view.live
    seen, alive = last_seen(manager), set()
    if live is not None:
        for call in waiting:
            if call.id in live:
                alive.add(call.id)
            # a callback call has no channel of its own: it waits for an agent, not on a caller leg
            if (call.id not in live and call.state == CallState.QUEUED and call.kind != "callback"
                    and view.sure(call.node) and _gone(deps, call.id)):
                store.remove_call(call.id)
                hand_over(deps, _ghost_record(call, seen.ended_at(call.id, now)))   # record, then wrap-up job
                fixed["ghost_calls"] += 1
    for agent in swept:
        if agent.state in (AgentState.ON_CALL, AgentState.RESERVED) and live is not None:
            if agent.call_id in live:
                alive.add(agent.call_id)
            if agent.call_id and agent.call_id not in live and not manager.offering(agent.call_id) \
                    and view.sure(_node_of(store, agent.call_id)) \
                    and not _callback_legs_up(deps, agent.call_id, live) and _gone(deps, agent.call_id):
                talked = agent.state == AgentState.ON_CALL
                orphan = store.get_call(agent.call_id) if talked else None
                requeue = _callback_unserved(deps, agent.call_id)   # its customer is still owed the call
                if talked:   # wrap-up as after any conversation: its length, row, event and timer
                    manager.agents.end_conversation(agent.id, agent.call_id, orphan.queue if orphan else None,
                                                    orphan.answered_at if orphan else None, requeue_call=requeue)
                else:
                    store.release(agent.call_id, agent.id, AgentState.AVAILABLE, now, requeue_call=requeue)
                if (orphan is not None and orphan.id not in manager.sessions and not requeue
                        and not controller_alive(manager, orphan.controller_id or "")):
                    # its controller died while the call was bridged: nobody else writes its record
                    # ended when its hangup was seen (or it was last seen alive), not at this sweep
                    hand_over(deps, _orphan_record(orphan, agent.id, seen.ended_at(orphan.id, now)))
                fixed["stuck_agents"] += 1
            elif (agent.state == AgentState.RESERVED and agent.call_id and not manager.offering(agent.call_id)
                  and _stray(store, agent) and not _consulted(manager, agent)):
                # lost a ring-group race, or its call is gone, and the ringing controller died before freeing it
                store.release(agent.call_id, agent.id, AgentState.AVAILABLE, now, requeue_call=False)
                fixed["stuck_agents"] += 1
        elif agent.state == AgentState.WRAP_UP and not manager.agents.timing(agent.id):
            # its timer ran elsewhere (a controller that died): the longest wrap-up it could have had
            limit = max(manager.agents.wrap_up_s(agent, q) for q in [None, *agent.queues]) + WRAP_UP_GRACE_S
            if now - agent.state_since > limit:
                manager.agents.change(agent.id, AgentState.AVAILABLE, current=agent)
                fixed["wrap_ups"] += 1
    if live is not None:
        seen.sweep(alive, now)
        fixed["orphans"] = break_orphans(manager, live)
    # records parked by a controller that died before writing them
    fixed["parked_records"] = deps.records.recover(now, PARKED_RECORD_GRACE_S)
    if any(fixed.values()):
        log.info("reconciled: %s", fixed)
        manager.trigger()
    return fixed


def _node_of(store, call_id: str) -> str | None:
    call = store.get_call(call_id)
    return call.node if call is not None else None


def end_lost_nodes(manager, now: float) -> int:
    """Nodes whose Event Socket has been gone past ``node_loss_grace_s`` (several nodes only): their
    calls end. A call whose socket this controller holds ends as hung up (``CallHandler.node_lost``:
    its record, its agent to wrap-up); one whose controller died is ended here as that controller would
    have: a waiting caller is removed with a record, an agent on it goes to wrap-up (or is freed from a
    ringing offer) with the record. Calls of a live controller are left to that controller's own sweep.
    Returns the calls ended."""
    deps = manager.deps
    switch = deps.switch
    if not isinstance(switch, NodeSwitch):
        return 0
    grace = float(deps.config.node_loss_grace_s)
    lost = {name for name in switch.clients if switch.down_for(name) > grace}
    if not lost:
        return 0
    ended = 0
    for session in list(manager.sessions.values()):
        call = session.call
        if call is not None and call.node in lost and session.hangup_cause is None:
            log.warning("call %s: switch node %s is gone; ending it", call.id, call.node)
            session.node_lost()
            ended += 1
    store = deps.store
    for call in store.waiting_calls():
        if call.node in lost and call.state == CallState.QUEUED and call.id not in manager.sessions \
                and not controller_alive(manager, call.controller_id or ""):
            store.remove_call(call.id)
            hand_over(deps, replace(_ghost_record(call, now), hangup_cause=NODE_LOST))
            ended += 1
    for agent in _agents_in(store, {AgentState.ON_CALL.value, AgentState.RESERVED.value}):
        call = store.get_call(agent.call_id) if agent.call_id else None
        if call is None or call.node not in lost or call.id in manager.sessions or manager.offering(call.id) \
                or controller_alive(manager, call.controller_id or ""):
            continue
        if agent.state == AgentState.ON_CALL:
            manager.agents.end_conversation(agent.id, call.id, call.queue, call.answered_at)
        else:
            store.release(call.id, agent.id, AgentState.AVAILABLE, now, requeue_call=False)
        store.remove_call(call.id)
        hand_over(deps, replace(_orphan_record(call, agent.id, now), hangup_cause=NODE_LOST))
        ended += 1
    return ended


def _agents_in(store, wanted: set[str]) -> list:
    """The agents in those states, whole: every agent's state first, then only those (reading all
    of them whole every sweep cost more than the calls at a few thousand agents)."""
    return store.agents_by_id(sorted(i for i, state in store.agent_states().items() if state in wanted))


def _callback_legs_up(deps, call_id: str, live: set[str]) -> bool:
    """A callback call lives in its agent's leg (and the customer's), not in a leg named after it."""
    call = deps.store.get_call(call_id)
    if call is None or call.kind != "callback":
        return False
    leg = offers.current_leg(deps.call_log, call_id)
    return leg is not None and leg[0] in live


def _callback_unserved(deps, call_id: str) -> bool:
    """A callback call whose customer was never connected (its offering controller died)."""
    call = deps.store.get_call(call_id)
    if call is None or call.kind != "callback":
        return False
    return not any(e.get("kind") == "callback_attempt" and e.get("result") == "answered"
                   for e in deps.call_log.read(call_id, "explanations"))


def _sweep_group(deps, call_id: str, now: float) -> None:
    """A ring group whose controller stopped renewing its lease: kill every member's latest leg
    (the offer log's index is the leg's attempt number), free them, requeue the call."""
    members = deps.store.group_members(call_id)
    offered = deps.call_log.read(call_id, "offers")
    latest = {agent_id: i for i, agent_id in enumerate(offered)}
    for agent_id in members:
        if agent_id in latest:
            actions.kill(deps.switch, actions.agent_leg_uuid(call_id, agent_id, latest[agent_id]))
    deps.store.release_group(call_id, members, AgentState.AVAILABLE, now, requeue_call=True)


def _gone(deps, uuid: str) -> bool:
    """The channel list said so; ask once more for this one channel before acting on it."""
    try:
        return deps.switch.api(commands.uuid_exists(uuid)).strip() != "true"
    except SwitchUnavailable:
        return False


def _consulted(manager, agent) -> bool:
    """Held for an attended transfer (control/handlers/consult.py) by a controller still alive."""
    store = manager.deps.store
    mark = store.consult_of(agent.call_id)
    if mark is None or mark[0] != agent.id:
        return False
    if controller_alive(manager, mark[1]):
        return True
    store.clear_consult(agent.call_id)
    return False


def _stray(store, agent) -> bool:
    """A reserved agent whose call is gone or held by someone else (a lost ring-group race)."""
    call = store.get_call(agent.call_id)
    return call is None or call.agent_id not in (agent.id, GROUP)


def _ghost_record(call, now: float) -> CallRecord:
    return CallRecord(node=call.node,
        call_id=call.id, caller=call.caller, did=call.did, customer_id=call.customer_id, queue=call.queue,
        ivr_path=list(call.ivr_path), entered_at=call.entered_at, offered_at=call.offered_at, ended_at=now,
        wait_s=round(now - call.entered_at, 3) if call.entered_at else 0.0, outcome="abandoned",
        hangup_cause="LOST_CHANNEL", language=call.language, priority=call.priority, tier=call.tier)


def _orphan_record(call, agent_id: str, now: float) -> CallRecord:
    """``now``: when the call ended, as far as anyone knows (last_seen)."""
    answered = call.answered_at
    now = max(now, answered or now)
    return replace(_ghost_record(call, now), agent_id=agent_id, answered_at=answered,
                   wait_s=round((answered or now) - call.entered_at, 3) if call.entered_at else 0.0,
                   talk_s=round(now - answered, 3) if answered else 0.0,
                   outcome="answered" if answered else "abandoned", hangup_cause="CONTROLLER_LOST")

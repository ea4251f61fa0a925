"""Actions an agent takes from the console on a live call: hold, transfer, hang up.

The console publishes them on the ``control`` channel; the controller that owns the
call carries them out on the switch. A blind transfer to a queue sends the caller back
through the dialplan's ``hotline_queue_<name>`` extension, whose socket session enters
that queue directly (see dialplan/). An attended transfer (``kind: attended``, then
``transfer_complete`` or ``transfer_cancel``) is control/handlers/consult.py.
"""
from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import gevent

from control.esl import commands
from control.esl.inbound import SwitchUnavailable
from control.handlers import actions, offers

log = logging.getLogger(__name__)
if TYPE_CHECKING:
    from control.handlers.agent_states import AgentStates


BRIDGE_SETTLE_S = 0.5
ACTIONS = ("hold", "unhold", "hangup", "transfer", "transfer_complete", "transfer_cancel")
_TARGET = re.compile(r"^[A-Za-z0-9+_.-]{1,64}$")


class ActionRefused(ValueError):
    pass


def carry_out(deps, message: dict, manager=None) -> str:
    """``manager``: the controller's Manager, which attended transfers need (control/handlers/consult.py)."""
    action, call_id = message.get("action"), message.get("call_id", "")
    if action not in ACTIONS:
        raise ActionRefused(f"unknown action {action!r}")
    call = deps.store.get_call(call_id)
    if call is None:
        raise ActionRefused(f"call {call_id!r} is not live")
    try:
        if action in ("hold", "unhold"):
            return _hold(deps, call, action == "hold")
        if action == "hangup":
            return deps.switch.api(commands.uuid_kill(_caller_leg(call)))
        if call.kind == "callback":
            raise ActionRefused("a callback call cannot be transferred")
        if action == "transfer" and message.get("kind") != "attended":
            if manager is None:
                raise ActionRefused("a transfer needs the controller that owns the call")
            if consult_active(manager, call_id):
                raise ActionRefused("finish or cancel the consultation first")
            return _transfer(deps, call, message, manager.agents)
        return _attended(manager, call, message)
    except SwitchUnavailable as exc:
        raise ActionRefused(f"no connection to the switch: {exc}") from exc


def consult_active(manager, call_id: str) -> bool:
    from control.handlers import consult

    return consult.active(manager, call_id)


def _attended(manager, call, message: dict) -> str:
    from control.handlers import consult

    if manager is None:
        raise ActionRefused("an attended transfer needs the controller that owns the call")
    by = message.get("by")
    if message["action"] == "transfer_complete":
        return consult.complete(manager, call.id, by)
    if message["action"] == "transfer_cancel":
        return consult.cancel(manager, call.id, by)
    target, to = str(message.get("target", "")), message.get("to", "external")
    if not _TARGET.match(target) or to not in ("agent", "queue", "external"):
        raise ActionRefused(f"bad transfer target {target!r}")
    return consult.start(manager, call, to, target, by)


def _caller_leg(call) -> str:
    """The customer's channel: the call's own uuid, or the leg a callback dialled (callback_offer.py)."""
    if call.kind == "callback":
        leg = (call.vars.get("callback") or {}).get("customer_leg")
        if not leg:
            raise ActionRefused("the customer has not been reached yet")
        return leg
    return call.id


def _hold(deps, call, on: bool) -> str:
    # FreeSWITCH's uuid_hold holds the channel named and plays hold music to its bridged partner
    # (switch_ivr_hold), so it is the agent's leg that is held: the caller hears the music.
    leg = offers.current_leg(deps.call_log, call.id)
    if leg is None:
        raise ActionRefused(f"call {call.id!r} has no agent leg to hold")
    # held within ~0.1 s of the uuid_bridge, the real switch answers +OK but plays no music
    settle = (call.answered_at or 0.0) + BRIDGE_SETTLE_S - deps.now()
    if on and settle > 0:
        gevent.sleep(settle)
    return deps.switch.api(commands.uuid_hold(leg[0], on))


def _transfer(deps, call, message: dict, agents: AgentStates) -> str:
    target, kind = str(message.get("target", "")), message.get("to", "external")
    if not _TARGET.match(target):
        raise ActionRefused(f"bad transfer target {target!r}")
    if kind == "queue":
        destination, context = f"hotline_queue_{target}", "hotline"
    elif kind == "agent":
        agent = deps.store.get_agent(target)
        if agent is None:
            raise ActionRefused(f"unknown agent {target!r}")
        destination, context = agent.extension, "internal"
    else:
        destination, context = target, "public-outbound"
    deps.call_log.append(call.id, "explanations", {"kind": "transfer", "to": kind, "target": target,
                                                    "by": message.get("by"), "at": deps.now()})
    # Free the agent (into wrap-up, as after any conversation) before the caller comes back as a new
    # segment of the same call (same channel uuid), so that segment starts from a clean queue entry.
    if call.agent_id:
        agents.end_conversation(call.agent_id, call.id, call.queue, call.answered_at, reason="transferred")
    # The transferred caller reconnects as a new segment of the same call (same channel uuid).
    deps.switch.api(commands.uuid_setvar(call.id, "hotline_did", call.did))
    deps.switch.api(commands.uuid_setvar(call.id, "hotline_segment", int(call.vars.get("segment", 0)) + 1))
    reply = deps.switch.api(commands.uuid_transfer(call.id, destination, "XML", context))
    leg = offers.current_leg(deps.call_log, call.id)
    if leg is not None and reply.startswith("+OK"):
        actions.kill(deps.switch, leg[0], "NORMAL_CLEARING")  # the agent's leg is done
    return reply

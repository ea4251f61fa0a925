"""Actions an agent takes from the console on a live call: hold, transfer, hang up.

The console publishes them on the ``control`` channel; the controller that owns the
call carries them out on the switch. A blind transfer is control/handlers/transfer.py; an
attended transfer (``kind: attended``, then ``transfer_complete`` or ``transfer_cancel``) is
control/handlers/consult.py.
"""
from __future__ import annotations

import logging

import gevent

from control.esl import commands
from control.esl.inbound import SwitchUnavailable
from control.handlers import consult, offers, transfer
from control.handlers.refused import ActionRefused

log = logging.getLogger(__name__)

BRIDGE_SETTLE_S = 0.5
ACTIONS = ("hold", "unhold", "hangup", "transfer", "transfer_complete", "transfer_cancel")
__all__ = ["ACTIONS", "ActionRefused", "carry_out"]


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
            if consult.active(manager, call_id):
                raise ActionRefused("finish or cancel the consultation first")
            # the session read before the transfer: the caller's next segment takes the same call id
            return transfer.blind(deps, call, message, manager.agents, session=manager.sessions.get(call_id))
        return _attended(manager, call, message)
    except SwitchUnavailable as exc:
        raise ActionRefused(f"no connection to the switch: {exc}") from exc


def _attended(manager, call, message: dict) -> str:
    if manager is None:
        raise ActionRefused("an attended transfer needs the controller that owns the call")
    by = message.get("by")
    if message["action"] == "transfer_complete":
        return consult.complete(manager, call.id, by)
    if message["action"] == "transfer_cancel":
        return consult.cancel(manager, call.id, by)
    target, to = str(message.get("target", "")), message.get("to", "external")
    if not transfer.TARGET.match(target) or to not in ("agent", "queue", "external"):
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


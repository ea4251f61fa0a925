"""Actions an agent takes from the console on a live call: hold, transfer, hang up.

The console publishes them on the ``control`` channel; the controller that owns the
call carries them out on the switch. A blind transfer to a queue sends the caller back
through the dialplan's ``hotline_queue_<name>`` extension, whose socket session enters
that queue directly (see dialplan/).
"""
from __future__ import annotations

import logging
import re

from control.esl.inbound import SwitchUnavailable
from control.handlers import actions, offers

log = logging.getLogger(__name__)

ACTIONS = ("hold", "unhold", "hangup", "transfer")
_TARGET = re.compile(r"^[A-Za-z0-9+_.-]{1,64}$")


class ActionRefused(ValueError):
    pass


def carry_out(deps, message: dict) -> str:
    action, call_id = message.get("action"), message.get("call_id", "")
    if action not in ACTIONS:
        raise ActionRefused(f"unknown action {action!r}")
    call = deps.store.get_call(call_id)
    if call is None:
        raise ActionRefused(f"call {call_id!r} is not live")
    try:
        if action == "hold":
            return deps.switch.api(f"uuid_hold {call_id}")
        if action == "unhold":
            return deps.switch.api(f"uuid_hold off {call_id}")
        if action == "hangup":
            return deps.switch.api(f"uuid_kill {call_id} NORMAL_CLEARING")
        return _transfer(deps, call, message)
    except SwitchUnavailable as exc:
        raise ActionRefused(f"no connection to the switch: {exc}") from exc


def _transfer(deps, call, message: dict) -> str:
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
    # Free the agent before the caller comes back as a new segment of the same call (same channel
    # uuid), so that segment starts from a clean queue entry.
    if call.agent_id:
        from control.domain.models import AgentState

        deps.store.release(call.id, call.agent_id, AgentState.WRAP_UP, deps.now(), requeue_call=False)
    # The transferred caller reconnects as a new segment of the same call (same channel uuid).
    deps.switch.api(f"uuid_setvar {call.id} hotline_did {call.did}")
    deps.switch.api(f"uuid_setvar {call.id} hotline_segment {int(call.vars.get('segment', 0)) + 1}")
    reply = deps.switch.api(f"uuid_transfer {call.id} {destination} XML {context}")
    leg = offers.current_leg(deps.call_log, call.id)
    if leg is not None and reply.startswith("+OK"):
        actions.kill(deps.switch, leg[0], "NORMAL_CLEARING")  # the agent's leg is done
    return reply

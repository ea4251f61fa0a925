"""Blind transfer: the caller leaves the agent for a queue, another agent or an outside number.

A transfer to a queue sends the caller back through the dialplan's ``hotline_queue_<name>``
extension, whose socket session enters that queue directly (see dialplan/); the caller comes back
as a new segment of the same call (same channel uuid).

The agent's conversation ends (wrap-up, through AgentStates, the one owner of agent state) only
once the switch accepted the transfer. A refused one changes nothing but the record of the refusal:
the caller is still with the agent, who is still on the call. The next segment waits for this one
to let the call go before it queues it (control/handlers/call.py: CallSession._previous_segment_gone).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from control.esl import commands
from control.handlers import actions, offers
from control.handlers.refused import ActionRefused

if TYPE_CHECKING:
    from control.handlers.agent_states import AgentStates

TARGET = re.compile(r"^[A-Za-z0-9+_.-]{1,64}$")   # a queue, an agent id or a number (web/api_calls.py: TARGET)


def blind(deps, call, message: dict, agents: AgentStates, session=None) -> str:
    """``message``: ``to`` (queue | agent | external), ``target``, ``by``; returns the switch's reply.
    ``session``: the call's segment here (CallSession), told first when the switch accepted, so that
    its end (the caller's socket closing) does not end the agent's conversation a second time."""
    target, kind = str(message.get("target", "")), message.get("to", "external")
    if not TARGET.match(target):
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
    deps.switch.api(commands.uuid_setvar(call.id, "hotline_did", call.did))
    deps.switch.api(commands.uuid_setvar(call.id, "hotline_segment", int(call.vars.get("segment", 0)) + 1))
    reply = deps.switch.api(commands.uuid_transfer(call.id, destination, "XML", context))
    done = reply.startswith("+OK")
    if done and session is not None:
        session.transferred()   # before any other I/O: this segment is over
    # The record says what the switch did: a transfer only once it accepted one.
    deps.call_log.append(call.id, "explanations", {"kind": "transfer" if done else "transfer_refused", "to": kind,
                                                    "target": target, "by": message.get("by"), "at": deps.now(),
                                                    **({} if done else {"result": reply.strip()[:200]})})
    if not done:
        return reply   # refused: the call stays with the agent, who stays on it
    if call.agent_id:   # accepted: the agent's conversation is over (wrap-up, as after any call)
        agents.end_conversation(call.agent_id, call.id, call.queue, call.answered_at, reason="transferred")
    leg = offers.current_leg(deps.call_log, call.id)
    if leg is not None:
        actions.kill(deps.switch, leg[0], "NORMAL_CLEARING")  # the agent's leg is done
    return reply

"""The pieces of an attended transfer (control/handlers/consult.py): its state, whom to ring and how."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import gevent.lock

from control import events
from control.domain.models import AgentState
from control.esl import commands
from control.esl.inbound import SwitchUnavailable
from control.handlers import actions
from control.handlers.refused import ActionRefused
from control.handlers.transfer import blind

log = logging.getLogger(__name__)

EXTERNAL_DIAL = "loopback/{number}/public-outbound"   # an outside number, through the dialplan


@dataclass
class Consult:
    call_id: str
    agent_id: str              # the transferring agent
    agent_leg: str             # their leg, bridged to the caller before the consult
    to: str                    # agent | queue | external
    target: str
    target_agent: str | None   # reserved for the consult; None for an outside number
    leg: str                   # the consult leg
    queue: str | None
    by: str | None
    state: str = "ringing"     # ringing | cancelling | talking | done
    agent_gone: bool = False
    lock: gevent.lock.BoundedSemaphore = field(default_factory=gevent.lock.BoundedSemaphore, repr=False)

    def event(self, state: str, now: float, by: str | None = None, cause: str | None = None) -> dict:
        return events.consult(state, self.call_id, self.agent_id, self.to, self.target, self.target_agent, now,
                              by=by, cause=cause)


# -- helpers -----------------------------------------------------------------------------
def hold_target(deps, call, to: str, target: str, now: float) -> str | None:
    if to == "external":
        return None
    if to == "agent":
        agent = deps.store.get_agent(target)
        if agent is None:
            raise ActionRefused(f"unknown agent {target!r}")
        candidates, refusal = [agent], f"agent {target!r} is not available"
    else:
        candidates = sorted((a for a in deps.store.agents() if a.state == AgentState.AVAILABLE and target in a.queues),
                            key=lambda a: (a.idle_since or 0.0, a.id))
        refusal = f"nobody in queue {target!r} is available"
    for agent in candidates:
        if agent.id != call.agent_id and deps.store.hold_agent_for(agent.id, call.id, now):
            return agent.id
    raise ActionRefused(refusal)


def originate(deps, c: Consult, call, agent):
    dial = (actions.dial_string(deps.config.agent_dial_string, agent.extension, deps.config.sip_domain)
            if agent is not None else commands.number_dial(EXTERNAL_DIAL, c.target))
    variables = {"origination_uuid": c.leg, "hotline_call": call.id, "hotline_consult": c.agent_id,
                 "originate_timeout": int(ring_timeout_s(deps, c.queue)), "ignore_early_media": True,
                 "park_after_bridge": True, "origination_caller_id_number": call.caller,
                 "hotline_agent": agent.id if agent is not None else None}
    return deps.switch.bgapi(commands.originate(variables, dial))


def ring_timeout_s(deps, queue_name: str | None) -> float:
    queue = deps.queues.current().get(queue_name) if queue_name else None
    return getattr(queue, "ring_timeout_s", None) or deps.config.ring_timeout_s


def try_api(deps, command: str) -> str:
    try:
        return deps.switch.api(command)
    except SwitchUnavailable as exc:
        log.warning("%s failed: no Event Socket connection (%s)", command.split()[0], exc)
        return f"-ERR {exc}"


def tell(deps, c: Consult, state: str, by: str | None = None, cause: str | None = None) -> None:
    message = c.event(state, deps.now(), by=by, cause=cause)
    deps.publisher.publish(f"agent:{c.agent_id}", message)
    deps.publisher.publish("wallboard", message)


def requeue_or_end(manager, c: Consult) -> None:
    """The agent hung up and the target never took the call: back to its queue, else hang up."""
    deps = manager.deps
    call = deps.store.get_call(c.call_id)
    session = manager.sessions.get(c.call_id)   # before the caller comes back as the next segment
    reply = "-ERR"
    if call is not None and call.queue:
        try:
            # the agent goes to wrap-up once the switch accepted it (transfer.blind); refused, the
            # caller is hung up below and the session ends the conversation
            reply = blind(deps, call, {"to": "queue", "target": call.queue, "by": "consult"}, manager.agents,
                          session=session)
        except (ActionRefused, SwitchUnavailable) as exc:
            log.warning("could not requeue %s after a failed consult: %s", c.call_id, exc)
    if not reply.startswith("+OK"):
        actions.kill(deps.switch, c.call_id, "NORMAL_CLEARING")

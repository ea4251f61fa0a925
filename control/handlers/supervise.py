"""Supervisor listen / whisper / barge: ring the supervisor's phone into FreeSWITCH's eavesdrop.

Modes map onto what FreeSWITCH does (switch_ivr_async.c, eavesdrop on the agent's leg):
listen  → ``&eavesdrop(<agent leg>)``
whisper → the same with ``eavesdrop_whisper_bleg=true``: the supervisor is mixed into what is
          written to the agent's phone, so the agent hears it and the caller does not
          (``_aleg`` would mix into what the agent's phone sends, i.e. to the caller)
barge   → ``&three_way(<agent leg>)``
During eavesdrop the supervisor changes mode with DTMF 2 (talk to the agent), 1 (talk to the
caller), 3 (three-way) and 0 (back to listening); those keys are FreeSWITCH's own.
"""
from __future__ import annotations

import uuid

from control import events
from control.esl import commands
from control.handlers import actions, offers

MODES = ("listen", "whisper", "barge")


class SuperviseError(ValueError):
    pass


def _check_extension(deps, extension: str, agent_id: str, supervisor_agent: str | None) -> None:
    """Monitoring audio goes only to the supervisor's own phone: never to the monitored agent's or
    another agent's (the console sends the supervisor's registered extension; this holds even if
    a request names another one)."""
    for other in deps.store.agents():
        if other.extension == extension and other.id != supervisor_agent:
            raise SuperviseError(f"extension {extension} is agent {other.id}'s phone, not the supervisor's own")


def supervise(deps, supervisor_extension: str, agent_id: str, mode: str, supervisor: str = "",
              supervisor_agent: str | None = None) -> dict:
    if mode not in MODES:
        raise SuperviseError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    agent = deps.store.get_agent(agent_id)
    if agent is None or not agent.call_id:
        raise SuperviseError(f"agent {agent_id!r} is not on a call")
    if supervisor_agent == agent_id:
        raise SuperviseError("a supervisor cannot monitor their own call")
    _check_extension(deps, supervisor_extension, agent_id, supervisor_agent)
    leg = offers.current_leg(deps.call_log, agent.call_id)
    if leg is None:
        raise SuperviseError(f"no agent leg known for call {agent.call_id}")
    sup_leg = str(uuid.uuid4())
    variables: dict[str, object] = {"origination_uuid": sup_leg, "hotline_supervise": mode, "hotline_call": agent.call_id}
    if mode == "whisper":
        variables["eavesdrop_whisper_bleg"] = True
    app = "three_way" if mode == "barge" else "eavesdrop"
    dial = actions.dial_string(deps.config.agent_dial_string, supervisor_extension, deps.config.sip_domain)
    job = deps.switch.bgapi(commands.originate(variables, dial, app, leg[0]))
    event = events.supervise(mode, agent_id, agent.call_id, supervisor, supervisor_leg=sup_leg)
    deps.publisher.publish("wallboard", event)
    return {**event, "job": job}

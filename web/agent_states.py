"""The console's way to change an agent's state: the controller's own component
(control/handlers/agent_states.AgentStates), with the console's adapters.

The history row goes into the request's database transaction (committed with its audit entry),
the live events through the console's publisher, and the dispatch nudge is a ``dispatch`` message
on the control channel, which every controller's listener turns into a dispatch pass.
"""
from __future__ import annotations

import time

from flask_login import current_user

from control import requests
from control.fsconf import esl_api
from control.handlers.agent_states import AgentStates
from control.ports import LiveState
from records import state_log
from web.extensions import db
from web.live import config, publisher


class RequestStateLog:
    """ports.StateHistory for one console request: rows in its transaction."""

    def put(self, agent_id: str, state: str, reason: str | None, at: float) -> None:
        state_log.add(db.session, [(agent_id, state, reason, at)])


def _nudge(_agent) -> None:
    # No "from": every controller, including the one that owns the call, runs a dispatch pass.
    publisher().publish("control", requests.dispatch(by=current_user.username, now=time.time()))


# The not-ready reason of an agent whose browser phone lost its registration (agent_reasons in config).
PHONE_OFFLINE = "phone_offline"


def browser_phone_error(agent_id: str) -> str | None:
    """Why an agent who chose the browser phone may not be available now (None: they may): their
    extension has no registration on FreeSWITCH's webrtc profile, or the switch cannot say. An agent
    with a desk phone (agents.phone = sip) is not checked here: the ring fails as before."""
    from records.models import Agent

    agent = db.session.get(Agent, agent_id)
    if agent is None or agent.phone != "browser":
        return None
    cfg = config()
    domain = str(cfg.values.get("sip_domain") or "")
    target = f"{agent.extension}@{domain}" if domain else agent.extension
    try:
        contact = esl_api(cfg.esl_host, cfg.esl_port, cfg.esl_password, f"sofia_contact webrtc/{target}")
    except Exception:   # no switch: the phone cannot ring either
        return "the switch cannot be reached to check your browser phone; try again"
    if not contact.strip() or contact.startswith(("error/", "-ERR")):
        return "your browser phone is not connected: open the Phone panel and wait for ready, then try again"
    return None


def agent_states(store: LiveState) -> AgentStates:
    from web.queue_rules import queue_configs

    return AgentStates(store, RequestStateLog(), publisher(), time.time, _nudge, queue_configs,
                       config().wrap_up_s)

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


def agent_states(store: LiveState) -> AgentStates:
    from web.queue_rules import queue_configs

    return AgentStates(store, RequestStateLog(), publisher(), time.time, _nudge, queue_configs,
                       config().wrap_up_s)

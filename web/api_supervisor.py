"""Supervisor actions from the wallboard (JSON, CSRF header like the rest of /api, supervisor role,
each audited): listen / whisper / barge on an agent's call, force an agent's state, move a waiting
call to another queue or change its priority. Controllers act on what is published on ``control``.
"""
from __future__ import annotations

import re
import time

from flask import Blueprint, abort, jsonify
from flask_login import current_user

from control import events, requests
from control.domain.agent_state import HOLDS_CALL, InvalidTransition
from control.domain.models import AgentState, CallState
from web.agent_states import agent_states
from web.json_api import AGENT_STATES as FORCE_STATES, _body, _error, _text
from web.reasons import reason_error
from web.audit import audit
from web.extensions import db
from web.live import live_state, publisher
from web.roles import role_required

bp = Blueprint("api_supervisor", __name__, url_prefix="/api/supervisor")

MODES = ("listen", "whisper", "barge")               # control/handlers/supervise.py
ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
EXTENSION = re.compile(r"^[A-Za-z0-9+_.-]{1,32}$")   # it ends up in a dial string
PRIORITY_RANGE = (-100, 1000)
WAITING = (CallState.QUEUED, CallState.OFFERING)


def monitoring_extension(user) -> str | None:
    """The one phone ``user`` may monitor from: their agent phone, else their registered monitor_extension."""
    return user.agent.extension if user.agent is not None else user.monitor_extension


def _store():
    store = live_state()
    if store is None:
        abort(_error("live state is not available", 503))
    return store


def _agent(agent_id: str):
    if not ID.match(agent_id):
        return None, _error("bad agent id", 400)
    agent = _store().get_agent(agent_id)
    if agent is None:
        return None, _error(f"no such agent: {agent_id}", 404)
    return agent, None


def _waiting_call(call_id: str):
    if not ID.match(call_id):
        return None, _error("bad call id", 400)
    call = _store().get_call(call_id)
    if call is None:
        return None, _error(f"no such call: {call_id}", 404)
    if call.state not in WAITING:
        return None, _error(f"call {call_id} is not waiting in a queue (it is {call.state.value})", 409)
    return call, None


def _done(action: str, target: str, reply: dict, status: int = 200, **details):
    audit(action, target, **details)
    db.session.commit()
    return jsonify(reply), status


def _dispatch() -> None:
    # No "from": every controller, including the one that owns the call, runs a dispatch pass.
    publisher().publish("control", requests.dispatch(by=current_user.username, now=time.time()))


@bp.post("/agents/<agent_id>/supervise")
@role_required("supervisor")
def supervise(agent_id: str):
    data = _body()
    mode = _text(data, "mode", 10)
    if mode not in MODES:
        return _error(f"mode must be one of {', '.join(MODES)}", 400)
    agent, refused = _agent(agent_id)
    if refused:
        return refused
    if agent.state != AgentState.ON_CALL or not agent.call_id:
        return _error(f"agent {agent_id} is not on a call", 409)
    own = current_user.agent
    if own is not None and own.id == agent_id:
        return _error("you cannot supervise your own call", 400)
    extension = monitoring_extension(current_user)
    if not extension:
        return _error("you have no registered monitoring extension: an admin sets one on the Users page "
                      "(or link your user to an agent phone)", 409)
    asked = _text(data, "extension", 32, required=False)
    if asked and asked != extension:
        return _error(f"you may monitor only from your own registered extension ({extension})", 403)
    if not EXTENSION.match(extension):
        return _error("the registered extension may only contain letters, digits and + _ . -", 409)
    message = requests.supervise(agent_id, extension, mode, current_user.username, own.id if own is not None else None)
    stream_id = publisher().publish("control", message)
    return _done(f"agent.{mode}", f"agent:{agent_id}", {**message, "call_id": agent.call_id, "published": stream_id},
                 202, mode=mode, extension=extension, call_id=agent.call_id)


@bp.post("/agents/<agent_id>/state")
@role_required("supervisor")
def force_state(agent_id: str):
    data = _body()
    state = _text(data, "state", 20)
    reason = _text(data, "reason", 40, required=False)
    if state not in FORCE_STATES:
        return _error(f"state must be one of {', '.join(FORCE_STATES)}", 400)
    wrong_reason = reason_error(state, reason)
    if wrong_reason:
        return _error(wrong_reason, 400)
    agent, refused = _agent(agent_id)
    if refused:
        return refused
    if agent.state in HOLDS_CALL:
        # The state machine would allow on_call -> available, but that is how a call *ends*;
        # forcing it would free the agent for a second call while the first one is still up.
        return _error(f"agent {agent_id} is {agent.state.value}; wait until the call ends", 409)
    try:   # the state machine, live state, agent_state_log, live events, dispatch nudge
        new = agent_states(_store()).change(agent_id, AgentState(state), reason=reason,
                                            current=agent, forced_by=current_user.username)
    except KeyError:
        return _error(f"no such agent: {agent_id}", 404)
    except InvalidTransition as exc:
        return _error(str(exc), 409)
    message = events.state(agent_id, new.state.value, new.break_reason, time.time(), forced_by=current_user.username)
    return _done("agent.force_state", f"agent:{agent_id}", message, previous=agent.state.value, state=state,
                 reason=reason)


def _save_call(call, action: str, **changes):
    """put_call keeps a reservation as it is, so an offering call only changes its data."""
    store = _store()
    if store.get_call(call.id) is None:      # answered or abandoned meanwhile: do not bring it back
        return _error(f"call {call.id} has ended", 409)
    store.put_call(call)
    message = events.call_changed(action, call.id, call.queue, call.priority, current_user.username, time.time())
    publisher().publish("wallboard", message)
    _dispatch()
    return _done(f"call.{action}", f"call:{call.id}", message, **changes)


@bp.post("/calls/<call_id>/queue")
@role_required("supervisor")
def move_call(call_id: str):
    from web.queue_rules import queue_configs

    data = _body()
    queue = _text(data, "queue", 64)
    if queue not in queue_configs():
        return _error(f"no such queue: {queue}", 404)
    call, refused = _waiting_call(call_id)
    if refused:
        return refused
    if call.queue == queue:
        return _error(f"call {call_id} is already in {queue}", 409)
    before = call.queue
    # entered_at stays (place in line). The IVR's requirements and overflow widening were for
    # the old queue; the new queue's own requirements apply.
    call.queue, call.requirements, call.extra_queues = queue, [], []
    return _save_call(call, "moved", previous=before, queue=queue)


@bp.post("/calls/<call_id>/priority")
@role_required("supervisor")
def call_priority(call_id: str):
    data = _body()
    priority = data.get("priority")
    low, high = PRIORITY_RANGE
    if not isinstance(priority, int) or isinstance(priority, bool) or not low <= priority <= high:
        return _error(f"priority must be an integer from {low} to {high}", 400)
    call, refused = _waiting_call(call_id)
    if refused:
        return refused
    before = call.priority
    call.priority = priority
    return _save_call(call, "priority", previous=before, priority=priority)

"""Cancelling callbacks (JSON, audited): a scheduled row here and now, a callback call waiting in a
queue through the controller (``callback_cancel`` on the ``control`` channel; the controller that
claims the request takes the call out if no agent has it yet and publishes ``callback_cancelled``)."""
from __future__ import annotations

import logging
import time
import uuid

import redis
from flask import jsonify, request
from flask_login import current_user

from control import requests
from control.domain.models import CallState
from records.callback_rows import cancel_row
from records.card_models import Callback
from web.json_api import _body, _error
from web.api_calls import CALL_ID
from web.audit import audit
from web.callbacks import bp, is_supervisor
from web.extensions import db
from web.live import live_state, publisher
from web.roles import role_required

log = logging.getLogger(__name__)
BUSY = "An agent is already calling this customer; the callback can no longer be cancelled."


def _ask_controller(call_id: str) -> dict:
    message = requests.callback_cancel(call_id, uuid.uuid4().hex, current_user.username, current_user.agent_id,
                                       time.time())
    publisher().publish("control", message)
    return message


@bp.post("/api/callbacks/<int:row_id>/cancel")
@role_required("agent")
def cancel_scheduled(row_id: int):
    if request.content_length:
        _body()
    row = db.session.get(Callback, row_id)
    if row is None:
        return _error("no such callback", 404)
    if not is_supervisor() and row.created_by != current_user.id:
        return _error("you may cancel only the callbacks you scheduled", 403)
    if row.status != "scheduled" or not cancel_row(db.session, row_id, current_user.username, time.time()):
        return _error("the callback is not scheduled any more (already queued, done or cancelled)", 409)
    audit("callback.cancel", f"callback:{row_id}", number=row.number, due_at=row.due_at.isoformat())
    db.session.commit()
    try:   # a controller that injected the row a moment ago takes its call out again
        _ask_controller(f"cb-row-{row_id}")
    except (redis.RedisError, OSError):
        log.warning("callback %s cancelled but the controllers were not told", row_id, exc_info=True)
    return jsonify(id=row_id, status="cancelled"), 200


@bp.post("/api/callbacks/live/<call_id>/cancel")
@role_required("agent")
def cancel_waiting(call_id: str):
    if request.content_length:
        _body()
    if not CALL_ID.match(call_id) or not call_id.startswith("cb-"):
        return _error("not a callback call id", 400)
    store = live_state()
    if store is None:
        return _error("live state is not available", 503)
    call = store.get_call(call_id)
    if call is None or call.kind != "callback" or call.state == CallState.ENDED:
        return _error("the callback is no longer waiting", 404)
    row_id = (call.vars.get("callback") or {}).get("row_id")
    row = db.session.get(Callback, row_id) if isinstance(row_id, int) else None
    if not is_supervisor() and (row is None or row.created_by != current_user.id):
        return _error("you may cancel only the callbacks you scheduled", 403)
    if call.state in (CallState.OFFERING, CallState.CONNECTED) or call.agent_id:
        return _error(BUSY, 409)
    message = _ask_controller(call_id)
    audit("callback.cancel", f"call:{call_id}", request_id=message["request_id"], row=row_id)
    db.session.commit()
    # 202: the controller has the last word (an agent may be reserved meanwhile); it publishes
    # ``callback_cancelled`` with ok/result on the wallboard and the requesting agent's channel.
    return jsonify(call_id=call_id, request_id=message["request_id"], status="requested"), 202

"""Object-level access to a call: an agent changes only calls they handled; supervisors any call.

"Handled" is read where the truth is at the moment: the live call in Redis while it is up (its
``agent_id``), then the call record. Between the two (the record is written a moment after the
hang-up) nothing says who had the call, so the change is let through; the record writer keeps it.
"""
from __future__ import annotations

import re

from flask import Response, jsonify
from flask_login import current_user
from sqlalchemy import select

from records.models import Call
from web.extensions import db
from web.live import live_state
from web.roles import has_role

CALL_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
NOT_YOURS = "not your call: only the agent who handled it, or a supervisor, may change it"


def _refuse(message: str, status: int) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    return response


def handler_of(call_id: str) -> tuple[bool, str | None]:
    """(known, agent id): whether the call is live or recorded, and who handled it (None: nobody)."""
    store = live_state()
    live = store.get_call(call_id) if store is not None else None
    if live is not None:
        return True, live.agent_id
    row = db.session.execute(select(Call.agent_id).where(Call.call_id == call_id)).first()
    return (True, row.agent_id) if row is not None else (False, None)


def refuse_unless_handled(call_id: str) -> Response | None:
    """None when the current user may change ``call_id``, else a 400 (not a call id) or 403 response."""
    if not CALL_ID.match(call_id):
        return _refuse("call_id must be 1-64 letters, digits or . _ : -", 400)
    if has_role(current_user, "supervisor"):
        return None
    known, agent_id = handler_of(call_id)
    if not known:
        return None
    mine = current_user.agent_id
    if mine is None or agent_id != mine:
        return _refuse(NOT_YOURS, 403)
    return None

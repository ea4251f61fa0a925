"""The console's word that a pop is on screen: POST /api/agent/pop-ack.

The console sends it once it has drawn an offer's card; it goes to the controllers on the control
channel, and the one ringing this agent stops holding the phone back (control/store/consoles.py).
"""
from __future__ import annotations

import time

from flask import Blueprint, jsonify, request
from flask_login import current_user

from control import requests
from web.live import publisher
from web.roles import role_required

bp = Blueprint("pops", __name__)


@bp.post("/api/agent/pop-ack")
@role_required("agent")
def ack():
    data = request.get_json(silent=True)
    call_id = data.get("call_id") if isinstance(data, dict) else None
    if not isinstance(call_id, str) or not 0 < len(call_id) <= 64:
        return jsonify(error="send a JSON object with call_id (a string of at most 64 characters)"), 400
    if not current_user.agent_id:
        return jsonify(error="this user is not an agent"), 409
    publisher().publish("control", requests.pop_ack(call_id, current_user.agent_id, time.time()))
    return jsonify(ok=True), 202

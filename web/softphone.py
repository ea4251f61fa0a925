"""The console's browser softphone: the signed-in agent's own SIP credentials and phone settings.

GET /api/softphone: what static/softphone.js needs to register as the agent's directory user on
FreeSWITCH's webrtc profile (WebSocket URL, SIP URI, password). Only the signed-in agent's own
account, never anyone else's, never in a page; not cached, and each read is audited.
POST /api/softphone/settings: the agent's choice of phone ("sip": a desk phone or their own
softphone; "browser": the console's) and auto-answer (docs/console.md, Browser phone).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_login import current_user

from records.models import Agent
from web.audit import audit
from web.extensions import db
from web.live import config
from web.roles import role_required

bp = Blueprint("softphone", __name__)

PHONES = ("sip", "browser")


def _own_agent() -> Agent | None:
    return db.session.get(Agent, current_user.agent_id) if current_user.agent_id else None


def settings_of(agent: Agent) -> dict:
    return {"phone": agent.phone, "auto_answer": bool(agent.auto_answer)}


@bp.get("/api/softphone")
@role_required("agent")
def credentials():
    agent = _own_agent()
    if agent is None:
        return jsonify(error="this user is not an agent"), 409
    cfg = config()
    ws_url = str(cfg.values.get("softphone_wss_url") or "")
    domain = str(cfg.values.get("sip_domain") or request.host.split(":")[0])
    audit("softphone.credentials", f"agent:{agent.id}")
    db.session.commit()
    response = jsonify(enabled=bool(ws_url), ws_url=ws_url, uri=f"sip:{agent.extension}@{domain}",
                       authorization_user=agent.extension, password=agent.sip_password,
                       display_name=agent.name or agent.id, **settings_of(agent))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/softphone/settings")
@role_required("agent")
def save_settings():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="send a JSON object with phone and/or auto_answer"), 400
    agent = _own_agent()
    if agent is None:
        return jsonify(error="this user is not an agent"), 409
    phone, auto_answer = data.get("phone", agent.phone), data.get("auto_answer", agent.auto_answer)
    if phone not in PHONES:
        return jsonify(error=f"phone must be one of {', '.join(PHONES)}"), 400
    if not isinstance(auto_answer, bool):
        return jsonify(error="auto_answer must be true or false"), 400
    agent.phone, agent.auto_answer = phone, auto_answer
    audit("softphone.settings", f"agent:{agent.id}", phone=phone, auto_answer=auto_answer)
    db.session.commit()
    return jsonify(settings_of(agent))

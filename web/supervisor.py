"""Supervisor pages: a first wallboard (waiting calls per queue, agents by state) from live state."""
from __future__ import annotations

import time
from collections import Counter, defaultdict

from flask import Blueprint, jsonify, render_template

from web.live import live_state
from web.roles import role_required

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


def snapshot() -> dict:
    store = live_state()
    if store is None:
        return {"available": False, "queues": [], "agents": [], "states": {}}
    now = time.time()
    waiting: dict[str, list] = defaultdict(list)
    for call in store.waiting_calls():
        waiting[call.queue or "-"].append(call)
    queues = [{"name": name, "waiting": len(calls),
               "longest_wait_s": round(max((c.wait_s(now) for c in calls), default=0.0), 1)}
              for name, calls in sorted(waiting.items())]
    agents = [{"id": a.id, "name": a.name or a.id, "state": a.state.value, "reason": a.break_reason,
               "since_s": round(max(0.0, now - a.state_since), 0) if a.state_since else None,
               "calls_taken": a.calls_taken} for a in store.agents()]
    states = Counter(a["state"] for a in agents)
    return {"available": True, "queues": queues, "agents": agents, "states": dict(states)}


@bp.get("/")
@role_required("supervisor")
def wallboard():
    return render_template("supervisor/wallboard.html", board=snapshot())


@bp.get("/wallboard.json")
@role_required("supervisor")
def wallboard_json():
    return jsonify(snapshot())

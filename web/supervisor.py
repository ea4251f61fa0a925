"""Supervisor wallboard: live queues and agents from live state, today's figures from the call
records, threshold alerts, and the ``wallboard`` event stream (/supervisor/events).

The page renders the snapshot (/supervisor/wallboard.json) with web/static/wallboard.js and
refetches it when a wallboard event arrives. The actions are in web/api_supervisor.py.
"""
from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import datetime, time as dtime, timedelta

from flask import Blueprint, current_app, jsonify, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from control.domain.agent_state import HOLDS_CALL
from control.domain.models import AgentState
from control.domain.queue_config import ABANDON_RATE_ALERT, alert_limits
from control.domain.queueing import STAFFED
from web.json_api import AGENT_STATES as FORCE_STATES
from web.reasons import reason_codes
from web.extensions import db
from web.live import config, live_state, stream_response
from web.masking import mask_message
from web.queue_rules import queue_configs
from web.roles import role_required

log = logging.getLogger(__name__)
bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

KPI_CACHE_S = 5.0                  # today's figures are one report query; every open wallboard polls
KPI_KEYS = ("offered", "answered", "abandoned", "service_level", "abandon_rate", "asa_s", "aht_s")


def today_kpis(queues: dict) -> dict[str, dict] | None:
    """Today's figures per queue (business time zone), cached a few seconds; None when the database fails."""
    rows = _today(queues, "day")
    return None if rows is None else {r["key"]: {k: r[k] for k in KPI_KEYS} for r in rows if r["key"]}


def today_trend(queues: dict) -> dict[str, dict] | None:
    """Today per queue and 15 minutes (business time zone): calls offered and the service level in %,
    for the wallboard's chart of the day; cached like today_kpis; None when the database fails."""
    rows = _today(queues, "15min")
    if rows is None:
        return None
    result: dict[str, dict] = {}
    for r in sorted(rows, key=lambda r: r["bucket"]):
        if not r["key"]:
            continue
        trend = result.setdefault(r["key"], {"labels": [], "offered": [], "service_level": []})
        trend["labels"].append(r["bucket"].strftime("%H:%M"))
        trend["offered"].append(r["offered"])
        sl = r.get("service_level")
        trend["service_level"].append(None if sl is None else round(sl * 100, 1))
    return result


def _today(queues: dict, bucket: str) -> list[dict] | None:
    """Today's call report per queue by ``bucket`` (day, 15min), one query per few seconds whatever
    the number of open wallboards; None when the database fails."""
    ttl = float(current_app.config.get("WALLBOARD_KPI_CACHE_S", KPI_CACHE_S))
    key = f"hotline.wallboard_{bucket}"
    cached = current_app.extensions.get(key)
    if cached and time.monotonic() - cached[0] < ttl:
        return cached[1]
    from sqlalchemy.orm import sessionmaker

    from reports.intervals import zone
    from reports.queries import call_report

    tz = config().timezone
    start = datetime.combine(datetime.now(zone(tz)).date(), dtime(), zone(tz))
    try:
        rows = call_report(sessionmaker(bind=db.engine, expire_on_commit=False), start, start + timedelta(days=1),
                           bucket, "queue", tz, {name: q.service_level_s for name, q in queues.items()})
    except SQLAlchemyError:
        log.warning("today's queue figures (%s) are unavailable", bucket, exc_info=True)
        return None
    current_app.extensions[key] = (time.monotonic(), rows)
    return rows


def alerts_for(row: dict, queue) -> list[str]:
    """The queue's alerts now, against its thresholds (the queue's YAML ``alerts``; docs/console.md)."""
    out = []
    limits = alert_limits(queue) if queue else None
    wait_limit = limits.longest_wait_s if limits else None
    if wait_limit is not None and row["waiting"] and row["longest_wait_s"] > wait_limit:
        out.append(_("%(queue)s: a caller has waited %(wait)d s (limit %(limit)d s)",
                     queue=row["name"], wait=row["longest_wait_s"], limit=wait_limit))
    if row["waiting"] and not row["staffed"]:
        out.append(_("%(queue)s: calls are waiting and no agent is staffed", queue=row["name"]))
    today = row["today"] or {}
    sl, floor = today.get("service_level"), limits.service_level_below if limits else None
    if sl is not None and floor is not None and sl < floor:
        out.append(_("%(queue)s: service level %(sl)d%% is under the target %(target)d%%", queue=row["name"],
                     sl=round(sl * 100), target=round(floor * 100)))
    rate = today.get("abandon_rate")
    ceiling = limits.abandon_rate_above if limits else ABANDON_RATE_ALERT
    if rate is not None and ceiling is not None and rate > ceiling:
        out.append(_("%(queue)s: abandon rate %(rate)d%% is over %(limit)d%%", queue=row["name"],
                     rate=round(rate * 100), limit=round(ceiling * 100)))
    return out


def _queue_rows(now: float, queues: dict, waiting: list, agents: list, kpis: dict | None) -> list[dict]:
    names = sorted(set(queues) | {c.queue for c in waiting if c.queue})
    rows = []
    for name in names:
        calls = [c for c in waiting if c.queue == name]
        members = [a for a in agents if name in a.queues]
        q = queues.get(name)
        row = {"name": name, "waiting": len(calls),
               "longest_wait_s": round(max((c.wait_s(now) for c in calls), default=0.0), 1),
               "agents": dict(Counter(a.state.value for a in members)),
               "staffed": sum(1 for a in members if a.state in STAFFED),
               "sl_threshold_s": q.service_level_s if q else None,
               "sl_target": q.service_level_target if q else None,
               "alert_limits": _limits_json(q),
               "today": (kpis or {}).get(name)}
        row["alerts"] = alerts_for(row, q)
        rows.append(row)
    return rows


def _limits_json(q) -> dict | None:
    if q is None:
        return None
    limits = alert_limits(q)
    return {"service_level_below": limits.service_level_below, "longest_wait_s": limits.longest_wait_s,
            "abandon_rate_above": limits.abandon_rate_above}


def _phone_kinds() -> dict[str, str]:
    """agent id → the phone they chose (agents.phone); empty when the database fails."""
    from records.models import Agent as AgentRow

    try:
        return {row.id: row.phone for row in db.session.execute(db.select(AgentRow.id, AgentRow.phone))}
    except SQLAlchemyError:
        log.warning("the agents' phones are unavailable", exc_info=True)
        return {}


def _agent_rows(store, now: float, agents: list) -> list[dict]:
    from web.phones import phone_of, registrations

    kinds, registered = _phone_kinds(), registrations()
    rows = []
    for a in sorted(agents, key=lambda a: (a.name or a.id).lower()):
        call = store.get_call(a.call_id) if a.call_id and a.state in HOLDS_CALL else None
        rows.append({"id": a.id, "name": a.name or a.id, "state": a.state.value, "reason": a.break_reason,
                     "since_s": round(max(0.0, now - a.state_since), 1) if a.state_since else None,
                     "calls_taken": a.calls_taken, "call_id": call.id if call else None,
                     "caller": call.caller if call else None, "call_queue": call.queue if call else None,
                     "on_call": a.state == AgentState.ON_CALL and call is not None,
                     **phone_of(kinds.get(a.id), (registered or {}).get(a.extension), registered is not None)})
    return rows


def snapshot() -> dict:
    store = live_state()
    queues = queue_configs()
    base = {"now": time.time(), "queue_names": sorted(queues), "force_states": list(FORCE_STATES),
            "break_reasons": reason_codes("break"), "not_ready_reasons": reason_codes("not_ready")}
    if store is None:
        return {**base, "available": False, "queues": [], "agents": [], "waiting": [], "states": {}, "alerts": [],
                "trend": {}}
    now = time.time()
    waiting = store.waiting_calls()
    agents = store.agents()
    kpis = today_kpis(queues)
    queue_rows = _queue_rows(now, queues, waiting, agents, kpis)
    agent_rows = _agent_rows(store, now, agents)
    calls = [{"call_id": c.id, "caller": c.caller, "queue": c.queue, "priority": c.priority, "tier": c.tier,
              "state": c.state.value, "wait_s": round(c.wait_s(now), 1)} for c in waiting]
    return {**base, "available": True, "now": now, "kpis_available": kpis is not None, "queues": queue_rows,
            "trend": today_trend(queues) or {},
            "agents": agent_rows, "waiting": calls, "states": dict(Counter(a["state"] for a in agent_rows)),
            "alerts": [text for q in queue_rows for text in q["alerts"]]}


def js_strings() -> dict[str, str]:
    return {
        "connected": _("Live"), "disconnected": _("Reconnecting…"), "listen": _("Listen"),
        "whisper": _("Whisper"), "barge": _("Barge"), "set_state": _("Set state"), "move": _("Move"),
        "set_priority": _("Set priority"), "no_calls": _("No calls waiting."),
        "error": _("Something went wrong"), "sent": _("Request sent"), "none": _("None"),
        "kpis_unavailable": _("Today's figures are not available."),
        "mute_alerts": _("Mute alert sound"), "unmute_alerts": _("Unmute alert sound"),
        "alerts_at": _("Alerts at"), "alert_sl": _("service level"), "alert_wait": _("wait"),
        "alert_abandon": _("abandoned"),
        "unavailable": _("Live state is not available."), "seconds": _("s"),
        "st_available": _("Available"), "st_reserved": _("Ringing"), "st_on_call": _("On call"),
        "st_wrap_up": _("Wrap-up"), "st_break": _("Break"), "st_not_ready": _("Not ready"),
        "st_logged_out": _("Logged out"), "waiting": _("Waiting"), "longest_wait": _("Longest wait"),
        "service_level": _("Service level today"), "target": _("target"), "no_agents": _("No agents"),
        "caller": _("Caller"), "waiting_in": _("waiting in"), "call_started": _("called"),
        "answered": _("answered a call"), "missed": _("missed a call"), "call_ended": _("Call ended"),
        "done": _("done"), "failed": _("failed"), "outcome_answered": _("answered"),
        "outcome_abandoned": _("abandoned"), "outcome_transferred": _("transferred"),
        "outcome_voicemail": _("voicemail"), "outcome_callback": _("callback"),
        "phone_browser": _("Browser"), "phone_sip": _("Desk / SIP"), "phone_registered": _("registered"),
        "phone_unregistered": _("not registered"), "phone_unknown": _("registration unknown"),
        "connected_to": _("Connected to {agent} ({mode})"), "offered_15": _("Offered per 15 min"), "sl_pct": _("Service level (%)"), "time": _("Time"),
    }


@bp.get("/")
@role_required("supervisor")
def wallboard():
    from web.api_supervisor import monitoring_extension
    from web.audit import audit

    board = snapshot()
    audit("wallboard.view", None)   # the page load (callers' numbers); its refreshes are not each audited
    db.session.commit()
    return render_template("supervisor/wallboard.html", board=board, strings=js_strings(),
                           own_extension=monitoring_extension(current_user) or "")


@bp.get("/wallboard.json")
@role_required("supervisor")
def wallboard_json():
    return jsonify(snapshot())


@bp.get("/events")
@role_required("supervisor")
def events():
    """SSE of the ``wallboard`` channel, as /agent/events does for an agent's channel."""
    role = current_user.role
    return stream_response("wallboard", transform=lambda m: mask_message(m, role))


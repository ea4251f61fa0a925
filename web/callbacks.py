"""The Callbacks page: callback calls waiting in queues now (live state), scheduled rows of the
``callbacks`` table, and recently finished ones. Cancel actions are in web/callbacks_api.py.

Who sees what: supervisors and admins see every callback with whole numbers. An agent sees the
callbacks they scheduled and those waiting for (or scheduled into) one of their queues, with numbers
masked as sensitive fields are (web/masking.py); an agent may cancel only the ones they scheduled.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

from flask import Blueprint, jsonify, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from control.domain.models import CallState
from records.card_models import Callback
from records.models import Call as CallRecord, Customer, User
from web.extensions import db
from web.live import config, live_state
from web.masking import mask_value
from web.roles import has_role, role_required

log = logging.getLogger(__name__)
bp = Blueprint("callbacks", __name__)

FINISHED_DAYS = 7
FINISHED_LIMIT = 50


def is_supervisor() -> bool:
    return has_role(current_user, "supervisor")


def own_queues() -> set[str]:
    agent = getattr(current_user, "agent", None)
    return set(agent.queues or []) if agent is not None else set()


def number_for_viewer(number: str | None) -> str | None:
    return number if number is None or is_supervisor() else mask_value(number)


def local_time(ts: float | None) -> str | None:
    """A unix time in the business time zone (``timezone`` in the config), for display."""
    if ts is None:
        return None
    from reports.intervals import zone

    return datetime.fromtimestamp(ts, zone(config().timezone)).strftime("%Y-%m-%d %H:%M %Z").strip()


def _ts(value: datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()


def _rows_by_id(ids) -> dict[int, Callback]:
    ids = [i for i in ids if isinstance(i, int)]
    if not ids:
        return {}
    return {r.id: r for r in db.session.scalars(select(Callback).where(Callback.id.in_(ids)))}


def live_callbacks(store, now: float) -> list[dict]:
    """Waiting and deferred callback calls, with their place in line among everyone in the queue."""
    waiting = store.waiting_calls()
    deferred = store.deferred()   # callback calls out of the queue until their retry: id -> due
    calls = [c for c in waiting if c.kind == "callback"]
    seen = {c.id for c in calls}
    for call_id in deferred:
        call = store.get_call(call_id) if call_id not in seen else None
        if call is not None and call.kind == "callback" and call.state == CallState.IVR:
            calls.append(call)
    infos = {c.id: c.vars.get("callback") or {} for c in calls}
    rows = _rows_by_id(info.get("row_id") for info in infos.values())
    mine, queues = current_user.id, own_queues()
    out = []
    for call in calls:
        info = infos[call.id]
        row_id = info.get("row_id")
        row = rows.get(row_id) if isinstance(row_id, int) else None
        created_by = row.created_by if row is not None else None
        if not is_supervisor() and call.queue not in queues and created_by != mine:
            continue
        line = [c.id for c in waiting if c.queue == call.queue]
        retry_at = deferred.get(call.id) if call.state == CallState.IVR else None
        out.append({
            "call_id": call.id, "queue": call.queue, "state": call.state.value,
            "number": number_for_viewer(info.get("number") or call.caller),
            "customer": call.vars.get("customer_name") or None,
            "original_call_id": info.get("original_call_id"), "row_id": info.get("row_id"),
            "position": line.index(call.id) + 1 if call.id in line else None,
            "waited_s": round(call.wait_s(now), 1), "attempts": int(info.get("attempts") or 0),
            "retry_at": retry_at, "retry_local": local_time(retry_at), "agent_id": call.agent_id,
            "can_cancel": call.state in (CallState.QUEUED, CallState.IVR) and not call.agent_id
                          and (is_supervisor() or (created_by is not None and created_by == mine)),
        })
    return sorted(out, key=lambda r: (r["queue"] or "", r["position"] or 10**6, -r["waited_s"]))


def _visible(query):
    if is_supervisor():
        return query
    queues = own_queues()
    default = config().callback_queue
    scope = [Callback.created_by == current_user.id, Callback.queue.in_(queues)]
    if default in queues:
        scope.append(Callback.queue.is_(None))
    return query.where(or_(*scope))


def _row_dict(row: Callback, names: dict, customers: dict) -> dict:
    details = dict(row.details or {})
    due = _ts(row.due_at)
    result = "cancelled" if row.status == "cancelled" else details.get("result")
    return {"id": row.id, "status": row.status, "result": result, "number": number_for_viewer(row.number),
            "due_at": due, "due_local": local_time(due), "queue": row.queue or config().callback_queue,
            "customer": customers.get(row.customer_id), "note": row.note, "created_by": names.get(row.created_by),
            "call_id": details.get("call_id"), "attempts": details.get("attempts"),
            "cancelled_by": details.get("cancelled_by"),
            "can_cancel": row.status == "scheduled" and (is_supervisor() or row.created_by == current_user.id)}


def _lookups(rows) -> tuple[dict, dict]:
    users = {r.created_by for r in rows if r.created_by}
    customers = {r.customer_id for r in rows if r.customer_id}
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(users))).all()) if users else {}
    cards = dict(db.session.execute(select(Customer.id, Customer.name).where(Customer.id.in_(customers))).all()) \
        if customers else {}
    return names, cards


def scheduled_rows() -> list[dict]:
    rows = db.session.scalars(_visible(select(Callback).where(Callback.status == "scheduled"))
                              .order_by(Callback.due_at, Callback.id).limit(500)).all()
    names, customers = _lookups(rows)
    return [_row_dict(r, names, customers) for r in rows]


def finished(now: float) -> list[dict]:
    """Rows finished or cancelled lately, and callback calls callers asked for (their call records)."""
    since = datetime.fromtimestamp(now, timezone.utc) - timedelta(days=FINISHED_DAYS)
    rows = db.session.scalars(_visible(select(Callback).where(Callback.status != "scheduled",
                                                              Callback.due_at >= since))
                              .order_by(Callback.due_at.desc()).limit(FINISHED_LIMIT)).all()
    names, customers = _lookups(rows)
    out = [{**_row_dict(r, names, customers), "kind": "scheduled", "at": _ts(r.due_at)} for r in rows
           if r.status == "cancelled" or (r.details or {}).get("result") not in (None, "queued")]
    query = select(CallRecord).where(CallRecord.call_id.like("cb-%"), CallRecord.call_id.not_like("cb-row-%"),
                                     CallRecord.ended_at >= since)
    if not is_supervisor():
        query = query.where(CallRecord.queue.in_(own_queues()))
    for rec in db.session.scalars(query.order_by(CallRecord.ended_at.desc()).limit(FINISHED_LIMIT)):
        cancelled = next((e for e in rec.explanations or [] if e.get("kind") == "callback_cancelled"), None)
        out.append({"kind": "requested", "call_id": rec.call_id, "queue": rec.queue,
                    "number": number_for_viewer(rec.caller), "result": "cancelled" if cancelled else rec.outcome,
                    "cancelled_by": cancelled.get("by") if cancelled else None, "at": _ts(rec.ended_at),
                    "attempts": sum(1 for e in rec.explanations or [] if e.get("kind") == "callback_attempt")})
    for item in out:
        item["at_local"] = local_time(item["at"])
        item["timeline"] = bool(item.get("call_id")) and is_supervisor() and item["result"] != "queued"
    return sorted(out, key=lambda r: r["at"] or 0, reverse=True)[:FINISHED_LIMIT]


def listing() -> dict:
    now = time.time()
    store = live_state()
    out = {"now": now, "timezone": config().timezone, "supervisor": is_supervisor(), "available": store is not None,
           "waiting": [], "scheduled": [], "finished": [], "database": True}
    if store is not None:
        out["waiting"] = live_callbacks(store, now)
    try:
        out["scheduled"], out["finished"] = scheduled_rows(), finished(now)
    except SQLAlchemyError:
        log.warning("callbacks could not be read from the database", exc_info=True)
        db.session.rollback()
        out["database"] = False
    return out


def js_strings() -> dict[str, str]:
    return {
        "cancel": _("Cancel"), "confirm_cancel": _("Cancel this callback?"), "cancelled": _("Cancelled"),
        "answered": _("Answered"), "failed": _("Failed"), "queued": _("Waiting"), "ivr": _("Retry later"),
        "offering": _("Agent ringing"), "connected": _("Agent calling"), "none": _("None"),
        "error": _("Something went wrong"), "sent": _("Request sent"), "timeline": _("Timeline"),
        "scheduled": _("Scheduled"), "requested": _("Requested by caller"), "seconds": _("s"),
        "live": _("Live"), "disconnected": _("Reconnecting…"),
    }


@bp.get("/callbacks/")
@role_required("agent")
def page():
    data = listing()
    _audit_view("callbacks.view")   # the page load; its refreshes of list.json are not each audited
    return render_template("supervisor/callbacks.html", data=data, strings=js_strings())


def _audit_view(action: str) -> None:
    from web.audit import audit

    audit(action, None)
    db.session.commit()


@bp.get("/callbacks/list.json")
@role_required("agent")
def list_json():
    return jsonify(listing())


"""The console's JSON API: customers, interactions, tickets, notes, dispositions and the agent's state
(its blueprint and request helpers: web/json_api.py)."""
from __future__ import annotations

import time
from datetime import timezone
from typing import Any

from flask import abort, jsonify
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from control import events
from control.domain.numbers import normalize
from records.customers import card, find_by_number, upsert_customer
from records.models import CHANNELS, Call, Customer, Interaction, Note, Ticket
from web.audit import audit
from web.call_access import refuse_unless_handled
from web.extensions import db
from web.json_api import AGENT_STATES, E164, MAX_TEXT, _body, _error, _text, bp
from web.masking import mask_customer, mask_message
from web.queue_rules import queue_rules
from web.reasons import reason_error
from web.roles import has_role, role_required

HISTORY = 10


def _customer(data: dict) -> Customer:
    cid = data.get("customer_id")
    if not isinstance(cid, int) or isinstance(cid, bool):
        abort(_error("customer_id (integer) is required", 400))
    customer = db.session.get(Customer, cid)
    if customer is None:
        abort(_error("no such customer", 404))
    return customer


def _number(raw: str) -> str:
    number = normalize(raw, current_app_config().default_region)
    if not E164.match(number):
        abort(_error("not a dialable E.164 number", 400))
    return number


def current_app_config():
    from web.live import config

    return config()


@bp.get("/customers/<path:number>")
@role_required("agent")
def get_customer(number: str):
    e164 = _number(number)
    customer = find_by_number(db.session, e164)
    audit("customer.view", f"number:{e164}", found=customer is not None)
    db.session.commit()
    if customer is None:
        return jsonify(found=False, number=e164), 404
    return jsonify(found=True, customer=mask_customer(with_history(customer), current_user.role))


def unix(value) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()   # SQLite: naive UTC


def with_history(customer: Customer) -> dict[str, Any]:
    """The card plus the latest interactions from every channel (chat and email posted through this API)."""
    result = card(db.session, customer)
    rows = db.session.scalars(select(Interaction).where(Interaction.customer_id == customer.id)
                              .order_by(Interaction.at.desc(), Interaction.id.desc()).limit(HISTORY)).all()
    result["interactions"] = [{"id": i.id, "channel": i.channel, "summary": i.summary, "at": unix(i.at)}
                              for i in rows]
    return result


@bp.post("/customers")
@role_required("agent")
def create_customer():
    data = _body()
    name = _text(data, "name", 300)
    e164 = _number(_text(data, "number", 40))
    if find_by_number(db.session, e164) is not None:
        return _error("a customer already has this number", 409)
    tier = _text(data, "tier", 20, required=False) or "standard"
    if tier != "standard" and not has_role(current_user, "supervisor"):
        return _error("only supervisors set a tier", 403)
    tags = data.get("tags") or []
    fields = data.get("fields") or {}
    if not (isinstance(tags, list) and all(isinstance(t, str) and len(t) <= 50 for t in tags)):
        return _error("tags must be a list of short strings", 400)
    if not isinstance(fields, dict):
        return _error("fields must be an object", 400)
    language = _text(data, "language", 16, required=False)
    customer = upsert_customer(db.session, e164, name, tier, tags, fields, language)
    audit("customer.create", f"customer:{customer.id}", number=e164)
    db.session.commit()
    return jsonify(customer=mask_customer(card(db.session, customer), current_user.role)), 201


@bp.post("/interactions")
@role_required("agent")
def create_interaction():
    data = _body()
    customer = _customer(data)
    channel = _text(data, "channel", 10)
    if channel not in CHANNELS:
        return _error(f"channel must be one of {', '.join(CHANNELS)}", 400)
    item = Interaction(customer_id=customer.id, channel=channel, summary=_text(data, "summary", MAX_TEXT) or "")
    db.session.add(item)
    db.session.flush()
    audit("interaction.create", f"customer:{customer.id}", interaction=item.id, channel=channel)
    db.session.commit()
    return jsonify(id=item.id), 201


@bp.post("/tickets")
@role_required("agent")
def create_ticket():
    data = _body()
    customer = _customer(data)
    call_id = _text(data, "call_id", 64, required=False)
    refused = call_id and refuse_unless_handled(call_id)
    if refused:
        return refused
    ticket = Ticket(customer_id=customer.id, subject=_text(data, "subject", 300), call_id=call_id, status="open",
                    created_by=current_user.id)
    db.session.add(ticket)
    db.session.flush()
    audit("ticket.create", f"customer:{customer.id}", ticket=ticket.id)
    db.session.commit()
    return jsonify(id=ticket.id, status=ticket.status), 201


@bp.post("/notes")
@role_required("agent")
def create_note():
    data = _body()
    call_id = _text(data, "call_id", 64, required=False)
    refused = call_id and refuse_unless_handled(call_id)
    if refused:
        return refused
    customer = _customer(data) if data.get("customer_id") is not None or not call_id else None
    note = Note(customer_id=customer.id if customer else None, call_id=call_id,
                author_id=current_user.id, text=_text(data, "text", MAX_TEXT))
    db.session.add(note)
    db.session.flush()
    audit("note.create", f"customer:{customer.id}" if customer else f"call:{call_id}", note=note.id)
    db.session.commit()
    return jsonify(id=note.id), 201


@bp.post("/calls/<call_id>/disposition")
@role_required("agent")
def set_disposition(call_id: str):
    data = _body()
    disposition = _text(data, "disposition", 64)
    if len(call_id) > 64:
        return _error("call id too long", 400)
    refused = refuse_unless_handled(call_id)
    if refused:
        return refused
    try:
        return _save_disposition(call_id, disposition, data)
    except IntegrityError:
        # the controller's writer stored the call's record between our read and our insert (found on
        # the real switch: the agent saves the disposition as the call ends): the same again, as an update
        db.session.rollback()
        return _save_disposition(call_id, disposition, data)


def _save_disposition(call_id: str, disposition: str, data: dict):
    row = db.session.scalar(select(Call).where(Call.call_id == call_id))
    if row is None:
        # The console is usually faster than the call record; the writer keeps this disposition.
        row = Call(call_id=call_id, agent_id=current_user.agent_id, ivr_path=[], offers=[], explanations=[])
        db.session.add(row)
    queue = row.queue or _text(data, "queue", 64, required=False)
    allowed = queue_rules().get(queue or "", {}).get("dispositions") or []
    if allowed and disposition not in allowed:
        return _error(f"disposition must be one of {', '.join(allowed)}", 400)
    row.disposition = disposition
    note_text = _text(data, "note", MAX_TEXT, required=False)
    if note_text:
        db.session.add(Note(call_id=call_id, customer_id=row.customer_id, author_id=current_user.id, text=note_text))
    audit("call.disposition", f"call:{call_id}", disposition=disposition)
    db.session.commit()
    return jsonify(call_id=call_id, disposition=disposition)


@bp.get("/agent/state")
@role_required("agent")
def get_agent_state():
    """The signed-in agent's state as live state holds it now: the console catches up with it after
    its live stream was cut (the events it missed are not replayed into the state bar)."""
    from web.agent import live_agent
    from web.live import live_state

    if not current_user.agent_id:
        return _error("this user is not an agent", 409)
    if live_state() is None:
        return _error("live state is not available", 503)
    return jsonify(live=live_agent(current_user.agent_id))


def _missing_disposition(data: dict) -> str | None:
    """Leaving wrap-up early ("finish now") with the call being wrapped up (``call_id``): its queue's
    required disposition must be saved first. Without a call id the wrap-up timer's end decides."""
    call_id = _text(data, "call_id", 64, required=False)
    if not call_id:
        return None
    row = db.session.scalar(select(Call).where(Call.call_id == call_id))
    queue = (row.queue if row is not None else None) or _text(data, "queue", 64, required=False)
    if not queue_rules().get(queue or "", {}).get("required"):
        return None
    if row is not None and row.disposition:
        return None
    return f"queue {queue} requires a disposition for call {call_id}: save one before you finish"


@bp.post("/agent/state")
@role_required("agent")
def set_agent_state():
    from control.domain.agent_state import InvalidTransition
    from control.domain.models import AgentState
    from web.agent_states import agent_states, browser_phone_error
    from web.live import live_state

    data = _body()
    state = _text(data, "state", 20)
    reason = _text(data, "reason", 40, required=False)
    if state not in AGENT_STATES:
        return _error(f"state must be one of {', '.join(AGENT_STATES)}", 400)
    wrong_reason = reason_error(state, reason)
    if wrong_reason:
        return _error(wrong_reason, 400)
    agent_id = current_user.agent_id
    if not agent_id:
        return _error("this user is not an agent", 409)
    store = live_state()
    if store is None:
        return _error("live state is not available", 503)
    current = store.get_agent(agent_id)
    if current is not None and current.state == AgentState.WRAP_UP:
        missing = _missing_disposition(data)
        if missing:
            return _error(missing, 409)
    if state == AgentState.AVAILABLE.value:
        offline = browser_phone_error(agent_id)
        if offline:
            return _error(offline, 409)
    try:   # the state machine, live state, agent_state_log, live events, dispatch nudge
        agent = agent_states(store).change(agent_id, AgentState(state), reason=reason, current=current)
    except KeyError:
        return _error("the agent is not known to the controller yet", 409)
    except InvalidTransition as exc:
        return _error(str(exc), 409)
    message = events.state(agent_id, agent.state.value, reason, time.time())
    audit("agent.state", f"agent:{agent_id}", state=state, reason=reason)
    db.session.commit()
    return jsonify(mask_message(message, current_user.role))


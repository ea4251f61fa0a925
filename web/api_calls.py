"""Console actions on a call: hold, unhold, transfer (blind, or attended: then complete or cancel),
hang up (published on the ``control`` channel for the controller that owns the call), follow-up marks
and scheduled callbacks (stored)."""
from __future__ import annotations

import logging
import re
import time
from datetime import datetime, timedelta, timezone

from flask import current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from control import requests
from control.domain.numbers import normalize
from control.outbound import AllowListError, allowed, role_patterns
from records.card_models import Callback
from records.models import Agent, Customer, Queue
from records.wrapup_models import CallFacts
from web.json_api import E164, MAX_TEXT, _body, _error, _text, bp
from web.audit import audit
from web.call_access import refuse_unless_handled
from web.extensions import db
from web.live import config, live_state, publisher, redis_client
from web.queue_rules import queue_configs, queue_rules
from web.roles import has_role, role_required

log = logging.getLogger(__name__)
CALL_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
TARGET = re.compile(r"^[A-Za-z0-9+_.-]{1,64}$")          # what the controller accepts (call_actions.py)
TRANSFER_TO = ("agent", "queue", "external")
TRANSFER_KINDS = ("blind", "attended")
CALLBACK_HORIZON = timedelta(days=90)


def _live_call(call_id: str):
    """(the live call, None) when the user may act on it, else (None, an error response)."""
    if not CALL_ID.match(call_id):
        return None, _error("bad call id", 400)
    store = live_state()
    if store is None:
        return None, _error("live state is not available", 503)
    call = store.get_call(call_id)
    if call is None:
        return None, _error("the call is not live", 409)
    if not has_role(current_user, "supervisor") and (current_user.agent_id is None
                                                     or call.agent_id != current_user.agent_id):
        return None, _error("not your call", 403)
    return call, None


def _own_live_call(call_id: str):
    """None when the user may act on the call, else an error response."""
    return _live_call(call_id)[1]


def _widening_queue(queue: str | None) -> str | None:
    """The queue whose own allow-list may widen a callback's: only one the agent serves (any for
    supervisors), or naming a queue in the request would be a way round the role's list."""
    agent = current_user.agent
    if queue is None or has_role(current_user, "supervisor") or (agent is not None and queue in agent.queues):
        return queue
    return None


def _outbound_refused(number: str, queue: str | None):
    """None when ``number`` is on the allow-list of the user's role or of the call's queue."""
    own = queue_configs().get(queue or "")
    queue_patterns = tuple(own.outbound_allow) if own is not None else ()
    try:
        patterns = role_patterns(config().outbound_allow, current_user.role) + queue_patterns
        if allowed(number, patterns):
            return None
    except AllowListError as exc:
        log.error("%s", exc)
        return _error(str(exc), 503)
    where = f"role {current_user.role}" + (f" or queue {queue}" if queue else "")
    return _error(f"{number} is not on the outbound allow-list of {where}; "
                  "an administrator can add a pattern (outbound_allow, docs/security.md)", 403)


def _publish(action: str, call_id: str, **extra):
    message = requests.call_action(action, call_id, current_user.username, current_user.agent_id, time.time(), **extra)
    stream_id = publisher().publish("control", message)
    audit(f"call.{action}", f"call:{call_id}", **{("transfer_" + k if k == "target" else k): v
                                                  for k, v in extra.items()})
    db.session.commit()
    return jsonify(published=stream_id, **{k: v for k, v in message.items() if k != "ts"}), 202


def _simple(action: str):
    def view(call_id: str):
        if request.content_length:
            _body()                      # a body, when sent, must still be a JSON object
        return _own_live_call(call_id) or _publish(action, call_id)
    view.__name__ = f"call_{action}"
    return role_required("agent")(view)


for _action in ("hold", "unhold", "hangup"):
    bp.add_url_rule(f"/calls/<call_id>/{_action}", view_func=_simple(_action), methods=["POST"])


@bp.post("/calls/<call_id>/transfer")
@role_required("agent")
def call_transfer(call_id: str):
    data = _body()
    call, refused = _live_call(call_id)
    if refused:
        return refused
    to = _text(data, "to", 10)
    kind = _text(data, "kind", 10, required=False) or "blind"
    target = _text(data, "target", 64)
    if to not in TRANSFER_TO:
        return _error(f"to must be one of {', '.join(TRANSFER_TO)}", 400)
    if kind not in TRANSFER_KINDS:
        return _error(f"kind must be one of {', '.join(TRANSFER_KINDS)}", 400)
    if to == "external":
        target = normalize(target, config().default_region)
        if not E164.match(target):
            return _error("not a dialable E.164 number", 400)
        refused = _outbound_refused(target, call.queue)
        if refused:
            return refused
    elif not TARGET.match(target):
        return _error("bad transfer target", 400)
    elif to == "agent" and db.session.get(Agent, target) is None:
        return _error("no such agent", 404)
    elif to == "queue" and target not in queue_rules() and \
            db.session.scalar(select(Queue).where(Queue.name == target)) is None:
        return _error("no such queue", 404)
    return _publish("transfer", call_id, target=target, to=to, kind=kind)


def _consult_step(action: str):
    """Finish (``complete``) or call off (``cancel``) an attended transfer: the controller that owns
    the call checks that a consultation is under way (control/handlers/consult.py)."""
    def view(call_id: str):
        if request.content_length:
            _body()
        return _own_live_call(call_id) or _publish(f"transfer_{action}", call_id)
    view.__name__ = f"call_transfer_{action}"
    return role_required("agent")(view)


for _step in ("complete", "cancel"):
    bp.add_url_rule(f"/calls/<call_id>/transfer/{_step}", view_func=_consult_step(_step), methods=["POST"])


@bp.post("/calls/<call_id>/follow-up")
@role_required("agent")
def call_follow_up(call_id: str):
    data = _body()
    if not CALL_ID.match(call_id):
        return _error("bad call id", 400)
    refused = refuse_unless_handled(call_id)
    if refused:
        return refused
    subject = _text(data, "subject", 300, required=False)
    facts = db.session.get(CallFacts, call_id)
    if facts is None:
        facts = CallFacts(call_id=call_id, hold_s=0.0, wrap_s=0.0, transferred=False, follow_up=False)
        db.session.add(facts)
    facts.follow_up, facts.follow_up_subject, facts.follow_up_by = True, subject, current_user.id
    audit("call.follow_up", f"call:{call_id}", subject=subject)
    db.session.commit()
    return jsonify(call_id=call_id, follow_up=True, ticket_job=_enqueue_ticket(call_id)), 201


def _enqueue_ticket(call_id: str) -> bool:
    """The wrap-up job may have run already, so ask the worker for the follow-up ticket now.
    Best effort: the mark is stored either way, and finalize_call reads it when it runs later."""
    import redis

    try:
        from worker.fanout import enqueue_ticket
        from worker.queues import job_queue

        queue = current_app.config.get("JOB_QUEUE") or job_queue(config().rq_queue, redis_client())
        return bool(enqueue_ticket(queue, call_id))
    except (ImportError, redis.RedisError, OSError):
        log.warning("could not enqueue the follow-up ticket of %s", call_id, exc_info=True)
        return False


def _due(value) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc)
    if isinstance(value, str) and len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


@bp.post("/callbacks")
@role_required("agent")
def schedule_callback():
    data = _body()
    number = normalize(_text(data, "number", 40), config().default_region)
    if not E164.match(number):
        return _error("not a dialable E.164 number", 400)
    due = _due(data.get("due_at"))
    now = datetime.now(timezone.utc)
    if due is None or not (now - timedelta(minutes=5) <= due <= now + CALLBACK_HORIZON):
        return _error("due_at must be a time (ISO 8601 or unix seconds) within the next 90 days", 400)
    customer_id = data.get("customer_id")
    if customer_id is not None and (not isinstance(customer_id, int) or isinstance(customer_id, bool)
                                    or db.session.get(Customer, customer_id) is None):
        return _error("no such customer", 404)
    queue = _text(data, "queue", 64, required=False)
    call_id = _text(data, "call_id", 64, required=False)
    refused = (call_id and refuse_unless_handled(call_id)) or _outbound_refused(number, _widening_queue(queue))
    if refused:
        return refused
    item = Callback(number=number, due_at=due, customer_id=customer_id, call_id=call_id,
                    queue=queue, note=_text(data, "note", MAX_TEXT, required=False), status="scheduled",
                    created_by=current_user.id, details={})
    db.session.add(item)
    db.session.flush()
    audit("callback.schedule", f"customer:{customer_id}" if customer_id else f"number:{number}",
          callback=item.id, due_at=due.isoformat())
    db.session.commit()
    _announce_callback(item.id, due)
    return jsonify(id=item.id, number=number, due_at=due.timestamp(), status=item.status), 201


def _announce_callback(item_id: int, due: datetime) -> None:
    """Controllers arm their timer for the new row; if Redis is down their safety sweep finds it."""
    import redis

    try:
        publisher().publish("control", requests.callback_scheduled(item_id, due.timestamp()))
    except (redis.RedisError, OSError):
        log.warning("callback %s stored but not announced to the controllers", item_id, exc_info=True)

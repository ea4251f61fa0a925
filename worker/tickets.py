"""Open a ticket for a call the agent marked for follow-up, or whose disposition asks for one.

The ticket and its ``ticket:<call id>`` marker commit together, so at most one ticket per call.
When nothing asks for a ticket no marker is written: the agent may still mark the call during
wrap-up (records.call_facts.mark_follow_up, then worker.fanout.enqueue_ticket).
"""
from __future__ import annotations

import logging

from records.models import Ticket
from records.wrapup_models import CallFacts
from worker import effects
from worker.runtime import load_call, sessions_from_config, settings_from_env

log = logging.getLogger(__name__)


def ticket_reason(call, facts, dispositions) -> str | None:
    if facts is not None and facts.follow_up:
        return "follow-up"
    if call.disposition and call.disposition in dispositions:
        return f"disposition {call.disposition}"
    return None


def subject_for(call, facts, reason: str) -> str:
    if facts is not None and facts.follow_up_subject:
        return facts.follow_up_subject[:300]
    who = call.caller or "unknown caller"
    return f"Call {call.call_id} from {who}: {reason}"[:300]


def create_ticket(call_id: str, sessions=None, settings=None) -> str:
    sessions = sessions or sessions_from_config()
    settings = settings or settings_from_env()

    def open_ticket(session):
        call = load_call(session, call_id)
        facts = session.get(CallFacts, call_id)
        reason = ticket_reason(call, facts, settings.ticket_dispositions)
        if reason is None or call.customer_id is None:
            return None   # nothing to open (a ticket needs a customer)
        ticket = Ticket(customer_id=call.customer_id, call_id=call_id, subject=subject_for(call, facts, reason),
                        status="open", created_by=facts.follow_up_by if facts is not None else None)
        session.add(ticket)
        session.flush()
        return {"ticket_id": ticket.id, "reason": reason}

    result = effects.apply_once(sessions, f"ticket:{call_id}", call_id, "ticket", open_ticket)
    log.info("ticket for %s: %s", call_id, result)
    return {"done": "created", "already done": "already created"}.get(result, "no ticket needed")

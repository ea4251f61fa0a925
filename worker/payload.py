"""The call as the outside world sees it (webhooks, CRM write-back)."""
from __future__ import annotations

from control.domain.call_record import LIST_FIELDS, TIME_FIELDS


def _iso(value):
    return value.isoformat() if value is not None else None


def summary(call) -> str:
    """One line for the customer's history, a ticket or a chat message: outcome, agent, queue, talk time."""
    minutes, seconds = divmod(int(call.talk_s or 0), 60)
    who = f" by {call.agent_id}" if call.agent_id else ""
    queue = f" in {call.queue}" if call.queue else ""
    talk = f", talked {minutes}m{seconds:02d}s" if call.talk_s else ""
    disposition = f", {call.disposition}" if call.disposition else ""
    return f"Call {call.outcome or 'ended'}{who}{queue}{talk}{disposition}"


# The call record's fields (control/domain/call_record.CallRecord) the outside world sees, in this order;
# times as ISO 8601. Routing details (offers, explanations), the recording path and the customer's tier
# stay inside.
PUBLIC_FIELDS = ("call_id", "caller", "did", "customer_id", "queue", "agent_id", "outcome", "disposition",
                 "hangup_cause", "entered_at", "answered_at", "ended_at", "wait_s", "talk_s", "ivr_path", "language")


def call_payload(call) -> dict:
    """``call``: the stored row (records.models.Call), which has every CallRecord field."""
    payload = {}
    for name in PUBLIC_FIELDS:
        value = getattr(call, name)
        payload[name] = _iso(value) if name in TIME_FIELDS else list(value or []) if name in LIST_FIELDS else value
    payload["summary"] = summary(call)
    return payload

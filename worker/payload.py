"""The call as the outside world sees it (webhooks, CRM write-back)."""
from __future__ import annotations


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


def call_payload(call) -> dict:
    return {
        "call_id": call.call_id, "caller": call.caller, "did": call.did, "customer_id": call.customer_id,
        "queue": call.queue, "agent_id": call.agent_id, "outcome": call.outcome,
        "disposition": call.disposition, "hangup_cause": call.hangup_cause,
        "entered_at": _iso(call.entered_at), "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at), "wait_s": call.wait_s, "talk_s": call.talk_s,
        "ivr_path": list(call.ivr_path or []), "language": call.language, "summary": summary(call),
    }

"""The call as the outside world sees it (webhooks, CRM write-back)."""
from __future__ import annotations


def _iso(value):
    return value.isoformat() if value is not None else None


def call_payload(call) -> dict:
    from worker.wrapup import summary

    return {
        "call_id": call.call_id, "caller": call.caller, "did": call.did, "customer_id": call.customer_id,
        "queue": call.queue, "agent_id": call.agent_id, "outcome": call.outcome,
        "disposition": call.disposition, "hangup_cause": call.hangup_cause,
        "entered_at": _iso(call.entered_at), "answered_at": _iso(call.answered_at),
        "ended_at": _iso(call.ended_at), "wait_s": call.wait_s, "talk_s": call.talk_s,
        "ivr_path": list(call.ivr_path or []), "language": call.language, "summary": summary(call),
    }

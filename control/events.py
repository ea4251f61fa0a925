"""Every live event the console and the wallboard receive, one function per message type.

Pure: each function returns the message dict; the caller publishes it (``Publisher.publish``) on
``agent:<id>`` (the agent's console), ``wallboard`` (supervisors) or both. docs/events.md shows every
shape, and tests/unit/test_events_doc.py holds these functions to that document. A key listed as
optional there is left out when its value is not given (the console tells "ended after a
conversation" from "ended before the answer" by the presence of ``wrap_up_s``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from control.domain.models import Call

Message = dict[str, Any]


def _with(message: Message, **optional: Any) -> Message:
    message.update((key, value) for key, value in optional.items() if value is not None)
    return message


# -- the stream itself ----------------------------------------------------------------------------
def ready(resumed_from: str | None = None) -> Message:
    """The first SSE event of a connection (``event: ready``): resumed after ``Last-Event-ID``, or new."""
    return _with({"type": "ready"}, resumed_from=resumed_from)


# -- a call offered to an agent ---------------------------------------------------------------
def offer(call: Call, agent_id: str, now: float, consult_from: str | None = None,
          callback: Mapping[str, Any] | None = None) -> Message:
    """The screen pop, on the agent's channel before the phone rings. ``callback``: the callback
    call's details (``callback_pop``); ``consult_from``: the agent who consults this one."""
    message = {
        "type": "offer", "call_id": call.id, "caller": call.caller, "did": call.did,
        "queue": call.queue, "wait_s": round(call.wait_s(now), 1), "language": call.language,
        "ivr_path": list(call.ivr_path), "customer": call.vars.get("customer"),
        "partial": bool(call.vars.get("customer_partial")), "agent_id": agent_id,
        "priority": call.priority, "tier": call.tier, "ts": now,
    }
    return _with(message, consult_from=consult_from, **dict(callback or {}))


def callback_pop(number: str | None, original_call_id: str | None, attempt: int, note: str | None) -> Message:
    """What a callback call's pop adds to ``offer``."""
    return {"callback": True, "number": number, "original_call_id": original_call_id, "attempt": attempt,
            "note": note}


def offer_rung(call_id: str, agent_id: str, queue: str | None, kind: str | None = None,
               ring: str | None = None) -> Message:
    """The wallboard's line for an offer (no customer data); ``kind``: callback; ``ring``: the ring
    group's strategy when several phones ring at once."""
    return _with({"type": "offer", "call_id": call_id, "agent_id": agent_id, "queue": queue}, kind=kind, ring=ring)


def answered(call_id: str, agent_id: str, now: float, transferred_from: str | None = None) -> Message:
    return _with({"type": "answered", "call_id": call_id, "agent_id": agent_id, "ts": now},
                 transferred_from=transferred_from)


def missed(call_id: str, agent_id: str, cause: str, state: str) -> Message:
    """The agent's phone was not answered; ``state`` is the agent's state after it."""
    return {"type": "missed", "call_id": call_id, "agent_id": agent_id, "cause": cause, "state": state}


def ended(call_id: str, now: float, reason: str | None = None, wrap_up_s: float | None = None) -> Message:
    """The agent's part in the call is over: ``wrap_up_s`` after a conversation, else a ``reason``."""
    return _with({"type": "ended", "call_id": call_id, "ts": now}, reason=reason, wrap_up_s=wrap_up_s)


# -- agents -------------------------------------------------------------------------------------
def state(agent_id: str, state_: str, reason: str | None, now: float, forced_by: str | None = None) -> Message:
    return _with({"type": "state", "agent_id": agent_id, "state": state_, "reason": reason, "ts": now},
                 forced_by=forced_by)


def supervise(mode: str, agent_id: str, call_id: str | None, supervisor: str,
              supervisor_leg: str | None = None, error: str | None = None) -> Message:
    """A supervisor is connected (or, with ``error``, could not be: the reason in words)."""
    return _with({"type": "supervise", "mode": mode, "agent_id": agent_id, "call_id": call_id,
                  "supervisor": supervisor}, supervisor_leg=supervisor_leg, error=error)


def feature(feature_: str, agent_id: str | None, extension: str, result: str) -> Message:
    """A desk-phone feature code (control/handlers/features.py) and how it went."""
    return {"type": "feature", "feature": feature_, "agent_id": agent_id, "extension": extension, "result": result}


# -- calls on the wallboard -------------------------------------------------------------------------
def call_started(call_id: str, caller: str, did: str) -> Message:
    return {"type": "call_started", "call_id": call_id, "caller": caller, "did": did}


def queued(call_id: str, queue: str | None, caller: str | None, priority: int | None,
           kind: str | None = None) -> Message:
    return _with({"type": "queued", "call_id": call_id, "queue": queue, "caller": caller, "priority": priority},
                 kind=kind)


def call_ended(call_id: str, outcome: str, agent_id: str | None, kind: str | None = None,
               cancelled: bool | None = None, by: str | None = None) -> Message:
    return _with({"type": "call_ended", "call_id": call_id, "outcome": outcome, "agent_id": agent_id},
                 kind=kind, cancelled=cancelled, by=by)


def call_changed(change: str, call_id: str, queue: str | None, priority: int, by: str, now: float) -> Message:
    """A supervisor moved a waiting call (``moved``) or changed its priority (``priority``)."""
    if change not in ("moved", "priority"):
        raise ValueError(f"call change {change!r}: use moved or priority")
    return {"type": change, "call_id": call_id, "queue": queue, "priority": priority, "by": by, "ts": now}


def call_action(action: str | None, call_id: str | None, by: str | None, reply: str) -> Message:
    """The result of a console action (hold, hang up, transfer ...) as the switch answered it."""
    return {"type": "call_action", "action": action, "call_id": call_id, "by": by,
            "result": reply.strip()[:200], "ok": reply.startswith("+OK")}


def consult(state_: str, call_id: str, agent_id: str, to: str, target: str, target_agent: str | None,
            now: float, by: str | None = None, cause: str | None = None) -> Message:
    """A step of an attended transfer: ringing, talking, completed, cancelled, failed, ended."""
    return _with({"type": "consult", "state": state_, "call_id": call_id, "agent_id": agent_id, "to": to,
                  "target": target, "target_agent": target_agent, "ts": now}, by=by, cause=cause)


# -- callbacks -----------------------------------------------------------------------------------
def callback_requested(call_id: str, number: str, queue: str | None, entered_at: float | None, priority: int,
                       requirements: Sequence[Sequence[Any]], callback_call_id: str) -> Message:
    return {"type": "callback_requested", "call_id": call_id, "number": number, "queue": queue,
            "entered_at": entered_at, "priority": priority, "requirements": [list(r) for r in requirements],
            "callback_call_id": callback_call_id}


def callback_dialing(call_id: str, number: str, attempt: int) -> Message:
    """The agent answered a callback call; the customer's number is being rung."""
    return {"type": "callback_dialing", "call_id": call_id, "number": number, "attempt": attempt}


def callback_cancelled(call_id: str | None, request_id: str | None, by: str | None, ok: bool, result: str) -> Message:
    return {"type": "callback_cancelled", "call_id": call_id, "request_id": request_id, "by": by, "ok": ok,
            "result": result}

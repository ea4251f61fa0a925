"""Requests on the ``control`` channel, one function per type: what the console and other
controllers ask of the controllers (control/handlers/control_channel.py reads them).

Pure, like control/events.py (the live events); docs/events.md shows both, and
tests/unit/test_events_doc.py holds them to it. Optional keys are left out when not given.
"""
from __future__ import annotations

from typing import Any

Request = dict[str, Any]


def _with(message: Request, **optional: Any) -> Request:
    message.update((key, value) for key, value in optional.items() if value is not None)
    return message


def dispatch(controller_id: str | None = None, by: str | None = None, now: float | None = None) -> Request:
    """Run a dispatch pass. ``from`` (a controller's nudge): that controller skips its own; without it
    (the console, ``by`` a user) every controller runs one."""
    return _with({"type": "dispatch"}, **{"from": controller_id}, by=by, ts=now)


def supervise(agent_id: str, extension: str, mode: str, supervisor: str, supervisor_agent: str | None) -> Request:
    """Ring ``extension`` into the agent's call (listen, whisper, barge); the owning controller acts."""
    return {"type": "supervise", "agent_id": agent_id, "extension": extension, "mode": mode,
            "supervisor": supervisor, "supervisor_agent": supervisor_agent}


def call_action(action: str, call_id: str, by: str, agent_id: str | None, now: float, target: str | None = None,
                to: str | None = None, kind: str | None = None) -> Request:
    """A console action on a live call (hold, unhold, hangup, transfer, transfer_complete,
    transfer_cancel); a transfer names ``target``, ``to`` and ``kind`` (blind or attended)."""
    return _with({"type": "call_action", "action": action, "call_id": call_id, "by": by, "agent_id": agent_id,
                  "ts": now}, target=target, to=to, kind=kind)


def callback_scheduled(row_id: int, due_at: float) -> Request:
    """A callback row was scheduled: controllers arm their timer for it."""
    return {"type": "callback_scheduled", "id": row_id, "due_at": due_at}


def callback_cancel(call_id: str, request_id: str, by: str, agent_id: str | None, now: float) -> Request:
    """Take a waiting callback call out of its queue (the answer is the ``callback_cancelled`` event)."""
    return {"type": "callback_cancel", "call_id": call_id, "request_id": request_id, "by": by,
            "agent_id": agent_id, "ts": now}


def pop_ack(call_id: str, agent_id: str, now: float) -> Request:
    """The agent's console shows the pop for the call."""
    return {"type": "pop_ack", "call_id": call_id, "agent_id": agent_id, "ts": now}

"""A call record: the one definition of its fields. Pure.

The controller builds one when a call (or a segment of it) ends: control/handlers/call.py, the
reconciler's records for calls whose controller died (reconcile.py), and callback calls
(callback_offer.py, callback_cancel.py). ``to_dict`` is what travels (the outbox in Redis, the batch
writer, the spool file); records/calls.py writes exactly these fields; the worker reads the row.
Times are unix seconds.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping


@dataclass
class CallRecord:
    call_id: str                       # a transferred call's later segment: "<call id>:<segment>"
    caller: str | None = None
    did: str | None = None
    customer_id: int | None = None
    queue: str | None = None
    agent_id: str | None = None
    ivr_path: list[str] = field(default_factory=list)
    entered_at: float | None = None
    offered_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    wait_s: float = 0.0
    talk_s: float = 0.0
    outcome: str | None = None
    hangup_cause: str | None = None
    disposition: str | None = None     # the console's; a record never overwrites one with None
    recording_path: str | None = None
    offers: list[str] = field(default_factory=list)          # agent ids offered the call, in order
    explanations: list[dict[str, Any]] = field(default_factory=list)   # routing and transfer steps
    language: str | None = None
    priority: int = 0
    tier: str | None = None
    node: str | None = None            # the FreeSWITCH node that carried the call (Call.node)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallRecord:
        """Raises ValueError naming what is wrong: no call_id, or a key that is not a field."""
        if not data.get("call_id"):
            raise ValueError("a call record needs a call_id")
        unknown = sorted(set(data) - FIELDS)
        if unknown:
            raise ValueError(f"unknown call record fields {unknown}; the fields are {sorted(FIELDS)}")
        return cls(**data)


def ended_by(headers: Mapping[str, str], answered: bool) -> str:
    """Who hung up first, from the caller leg's CHANNEL_HANGUP (FreeSWITCH's mod_sofia, sofia.c
    sofia_handle_sip_i_bye): a BYE or CANCEL received from the caller sets ``sip_term_status`` before
    the hangup; one received from the agent's phone sets ``sip_hangup_phrase`` on its partner, the
    caller's leg. Anything else was the system (an IVR goodbye, a console or supervisor action)."""
    if headers.get("variable_sip_term_status"):
        return "caller"
    if answered and headers.get("variable_sip_hangup_phrase"):
        return "agent"
    return "system"


def hung_up_first(explanations: list[dict[str, Any]]) -> str | None:
    """``ended_by`` as a record keeps it (an ``end`` explanation), or None for records without one."""
    ends = [e.get("by") for e in explanations if e.get("kind") == "end"]
    return ends[-1] if ends else None


FIELDS = frozenset(f.name for f in fields(CallRecord))
TIME_FIELDS = ("entered_at", "offered_at", "answered_at", "ended_at")
LIST_FIELDS = ("ivr_path", "offers", "explanations")
# written as they are; call_id is the key and disposition is kept when the record has none
PLAIN_FIELDS = tuple(f.name for f in fields(CallRecord)
                     if f.name not in (*TIME_FIELDS, *LIST_FIELDS, "call_id", "disposition"))

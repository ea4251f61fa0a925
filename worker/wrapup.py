"""After-call work that runs on RQ. Every job is idempotent: a rerun changes nothing more.

``finalize_call`` is enqueued by the controller when a call ends (job id ``wrapup-<call id>``).
It adds the call to the customer's history and marks the record finalised; the marker and the
history entry are written in one transaction, so a retried job never doubles either.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import select

from control.config import load_config

log = logging.getLogger(__name__)

FINALIZED = "call.finalized"


class RecordNotWrittenYet(RuntimeError):
    """The controller buffers records while the database is away; RQ retries the job later."""


def _sessions():
    from records.db import session_factory

    return session_factory(load_config().database_url)


def summary(call) -> str:
    minutes, seconds = divmod(int(call.talk_s or 0), 60)
    who = f" by {call.agent_id}" if call.agent_id else ""
    queue = f" in {call.queue}" if call.queue else ""
    talk = f", talked {minutes}m{seconds:02d}s" if call.talk_s else ""
    disposition = f", {call.disposition}" if call.disposition else ""
    return f"Call {call.outcome or 'ended'}{who}{queue}{talk}{disposition}"


def finalize_call(call_id: str, sessions=None) -> str:
    from records.models import AuditLog, Call, Interaction

    sessions = sessions or _sessions()
    with sessions() as session, session.begin():
        call = session.scalar(select(Call).where(Call.call_id == call_id))
        if call is None:
            raise RecordNotWrittenYet(call_id)
        done = session.scalar(select(AuditLog).where(AuditLog.action == FINALIZED, AuditLog.target == call_id))
        if done is not None:
            return "already finalized"
        if call.customer_id is not None:
            session.add(Interaction(customer_id=call.customer_id, channel="call", summary=summary(call),
                                    at=call.ended_at or datetime.now(timezone.utc)))
        session.add(AuditLog(who="worker", action=FINALIZED, target=call_id,
                             details={"outcome": call.outcome, "queue": call.queue, "agent": call.agent_id}))
    log.info("finalized call %s", call_id)
    return "finalized"

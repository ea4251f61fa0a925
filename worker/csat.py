"""Post-call CSAT (1 to 5): ``store_csat(call_id, score)``; the first answer per call counts.

Called (or enqueued as ``worker.csat.store_csat``) by whatever receives the survey reply.
"""
from __future__ import annotations

from sqlalchemy import select

from records.wrapup_models import CsatResponse
from worker import effects
from worker.runtime import sessions_from_config


def parse_score(raw) -> int:
    text = str(raw).strip()
    if not text.isdigit() or not 1 <= int(text) <= 5:
        raise ValueError(f"a CSAT score is a whole number from 1 to 5, not {raw!r}")
    return int(text)


def store_csat(call_id: str, score, source: str = "sms", comment: str | None = None, sessions=None) -> str:
    value = parse_score(score)
    sessions = sessions or sessions_from_config()

    def add(session):
        if session.scalar(select(CsatResponse).where(CsatResponse.call_id == call_id)) is not None:
            return None
        session.add(CsatResponse(call_id=call_id, score=value, source=source, comment=comment))
        return {"score": value}

    result = effects.apply_once(sessions, f"csat:{call_id}", call_id, "csat", add)
    from reports.rollup import refresh_after_update

    refresh_after_update(sessions, call_id)   # a late score adjusts the report rollup; a no-op on reruns
    return "stored" if result == "done" else "already stored"

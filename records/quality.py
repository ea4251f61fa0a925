"""Reading and writing quality rows (records/quality_models.py): a call's analysis (replaced by a rerun)
and evaluations."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from records.quality_models import CallQuality, Evaluation

__all__ = ["CallQuality", "Evaluation", "save_analysis", "analysis_of"]


def save_analysis(sessions, call_id: str, values: dict[str, Any]) -> None:
    """Insert or replace the call's analysis row (idempotent: a rerun writes the same values)."""
    for attempt in range(2):
        try:
            with sessions() as session, session.begin():
                row = session.get(CallQuality, call_id)
                if row is None:
                    session.add(CallQuality(call_id=call_id, **values))
                else:
                    for key, value in values.items():
                        setattr(row, key, value)
            return
        except IntegrityError:   # a concurrent run inserted it first: replace theirs
            if attempt:
                raise


def analysis_of(sessions, call_id: str) -> CallQuality | None:
    with sessions() as session:
        return session.scalar(select(CallQuality).where(CallQuality.call_id == call_id))


def save_evaluation(session, call_id: str, evaluator: str, values: dict[str, Any]) -> Evaluation:
    """The evaluator's scorecard for the call, replacing their earlier one (its agent response is reset:
    the agent acknowledges or disputes what is there now). In the caller's transaction."""
    row = session.scalar(select(Evaluation).where(Evaluation.call_id == call_id, Evaluation.evaluator == evaluator))
    if row is None:
        row = Evaluation(call_id=call_id, evaluator=evaluator, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.status, row.agent_comment, row.responded_at = "submitted", None, None
    session.flush()
    return row


def evaluations_of(session, call_id: str) -> list[Evaluation]:
    return list(session.scalars(select(Evaluation).where(Evaluation.call_id == call_id)
                                .order_by(Evaluation.created_at, Evaluation.id)))

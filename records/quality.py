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

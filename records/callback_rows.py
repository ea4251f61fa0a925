"""The ``callbacks`` table (rows the console schedules): the controller's reads and marks, and
the cancel both sides use.

A due row becomes a callback call in live state; the row's status is then ``done`` and
``details["result"]`` follows the call: ``queued`` → ``answered`` or ``failed``. (The table's
check constraint allows only scheduled/done/cancelled, so the result lives in ``details``.)
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import func, select, update

from records.card_models import Callback


def _ts(value: datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()


class ScheduledCallbacks:
    def __init__(self, session_factory):
        self.sessions = session_factory

    def next_due(self, skip: Iterable[int] = ()) -> float | None:
        """Due time (unix seconds) of the earliest scheduled row, leaving out ``skip`` ids."""
        skip = list(skip)
        query = select(func.min(Callback.due_at)).where(Callback.status == "scheduled")
        if skip:
            query = query.where(Callback.id.not_in(skip))
        with self.sessions() as session:
            due = session.scalar(query)
        return _ts(due) if due is not None else None

    def due(self, now: float, limit: int = 100) -> list[dict[str, Any]]:
        until = datetime.fromtimestamp(now, timezone.utc)
        query = (select(Callback).where(Callback.status == "scheduled", Callback.due_at <= until)
                 .order_by(Callback.due_at, Callback.id).limit(limit))
        with self.sessions() as session:
            return [{"id": r.id, "number": r.number, "due_at": _ts(r.due_at), "customer_id": r.customer_id,
                     "call_id": r.call_id, "queue": r.queue, "note": r.note, "details": dict(r.details or {})}
                    for r in session.scalars(query)]

    def mark(self, row_id: int, result: str, **details: Any) -> None:
        """Status ``done`` (unless the console cancelled it meanwhile) and the result in details."""
        with self.sessions() as session:
            row = session.get(Callback, row_id)
            if row is None:
                return
            if row.status == "scheduled":
                row.status = "done"
            row.details = {**(row.details or {}), **details, "result": result}
            session.commit()

    def cancel(self, row_id: int, by: str | None, at: float) -> None:
        """A callback call the console cancelled: its row (scheduled, or done and waiting) says so."""
        with self.sessions() as session:
            cancel_row(session, row_id, by, at, from_status=("scheduled", "done"))
            session.commit()


def cancel_row(session, row_id: int, by: str | None, at: float, from_status: Iterable[str] = ("scheduled",),
               **details: Any) -> bool:
    """Status ``cancelled`` (``details.result`` too) if the row is still in one of ``from_status``.
    The UPDATE is conditional, so a controller injecting the row at the same moment is not overwritten
    blindly: whoever commits second sees no row to change. The caller commits."""
    row = session.get(Callback, row_id)
    allowed = tuple(from_status)
    if row is None or row.status not in allowed:
        return False
    merged = {**(row.details or {}), **details, "result": "cancelled", "cancelled_by": by, "cancelled_at": at}
    done = session.execute(update(Callback).where(Callback.id == row_id, Callback.status.in_(allowed))
                           .values(status="cancelled", details=merged)
                           .execution_options(synchronize_session="fetch"))
    return bool(done.rowcount)

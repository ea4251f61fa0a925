"""Per-call facts the call record lacks; the console and controller write them, reports read them.

- ``record_handling(sessions, call_id, hold_s=, wrap_s=, transferred=)``: the controller when a
  hold or wrap-up ends or an agent transfers (values given replace stored ones). Through
  ``reports.rollup.record_handling`` when the report rollup must follow (it may have counted the call).
- ``mark_follow_up(sessions, call_id, subject, user_id)``: the console when the agent ticks
  "follow up"; then enqueue ``worker.tickets.create_ticket`` (see worker/fanout.py
  ``enqueue_ticket``) because finalize_call may already have run.
"""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from records.wrapup_models import CallFacts


def _update(sessions, call_id: str, values: dict) -> None:
    for _ in range(2):   # a concurrent first insert makes ours fail once; then it is an update
        try:
            with sessions() as session, session.begin():
                row = session.get(CallFacts, call_id)
                if row is None:
                    row = CallFacts(call_id=call_id, hold_s=0.0, wrap_s=0.0, transferred=False, follow_up=False)
                    session.add(row)
                for key, value in values.items():
                    setattr(row, key, value)
            return
        except IntegrityError:
            continue
    raise RuntimeError(f"could not write call facts for {call_id}")


def record_handling(sessions, call_id: str, hold_s: float | None = None, wrap_s: float | None = None,
                    transferred: bool | None = None) -> None:
    values = {"hold_s": hold_s, "wrap_s": wrap_s, "transferred": transferred}
    _update(sessions, call_id, {k: v for k, v in values.items() if v is not None})


def mark_follow_up(sessions, call_id: str, subject: str | None = None, user_id: int | None = None) -> None:
    _update(sessions, call_id, {"follow_up": True, "follow_up_subject": subject, "follow_up_by": user_id})

"""Exactly-once bookkeeping for wrap-up side effects: one ``wrapup_effects`` row per effect key.

Internal effects (a ticket, a recording row, a CSAT answer) use ``apply_once``: the effect and
its marker commit in one transaction, so a rerun or a concurrent duplicate (unique key) never
doubles them.

External effects (SMS, webhook, CRM) cannot share a transaction with the database, so a crash
can fall between the send and the marker. ``claim`` commits the row as ``pending`` *before*
the send; ``settle`` records the result after it. A rerun that finds ``pending`` knows an
earlier attempt died mid-send (or is still running) and the caller picks a policy:

- ``resend_in_doubt=False`` (SMS): at most once. The row becomes ``unknown`` and stays visible;
  nobody gets a second SMS. The provider also gets the effect key as ``Idempotency-Key``.
- ``resend_in_doubt=True`` (webhooks, CRM): at least once. The payload carries the effect key
  (``X-Hotline-Delivery``) or is an idempotent PUT, so the receiver can drop a duplicate.
"""
from __future__ import annotations

from typing import Any, Callable, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError

from records.models import utcnow
from records.wrapup_models import Effect

GO, DONE, IN_DOUBT, BUSY = "go", "done", "in doubt", "busy"


class _NothingToDo(Exception):
    pass


_BY_KEY = select(Effect).where(Effect.key == bindparam("key"))   # built once: every job runs it
_BY_KEY_LOCKED = _BY_KEY.with_for_update()
_INSERT_NEW: dict[str, Any] = {}


def _insert_if_absent(session, values: dict) -> bool | None:
    """INSERT the row unless its key exists (True when inserted); None on a database without
    ``ON CONFLICT``. A row another transaction is inserting is waited for, then left alone."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERT_NEW:
        if dialect not in ("postgresql", "sqlite"):
            return None
        from sqlalchemy.dialects import postgresql, sqlite

        dml: Any = postgresql if dialect == "postgresql" else sqlite
        _INSERT_NEW[dialect] = dml.insert(cast(Table, Effect.__table__)).on_conflict_do_nothing(index_elements=["key"])
    return session.connection().execute(_INSERT_NEW[dialect], values).rowcount == 1


def find(sessions, key: str) -> Effect | None:
    with sessions() as session:
        return session.scalar(select(Effect).where(Effect.key == key))


def apply_once(sessions, key: str, call_id: str, kind: str, apply: Callable[[Any], dict | None]) -> str:
    """Run ``apply(session)`` and write the marker in the same transaction.

    ``apply`` returns the detail to store, or None when there is nothing to do (no marker, so a
    later run may still act, e.g. after the agent marks the call for follow-up).
    """
    try:
        with sessions() as session, session.begin():
            row = session.scalar(select(Effect).where(Effect.key == key))
            if row is not None and row.status == "done":
                return "already done"
            detail = apply(session)
            if detail is None:
                raise _NothingToDo
            if row is None:
                row = Effect(key=key, call_id=call_id, kind=kind, attempts=0)
                session.add(row)
            row.status, row.detail, row.attempts, row.updated_at = "done", detail, row.attempts + 1, utcnow()
            row.last_error = None
    except _NothingToDo:
        return "nothing to do"
    except IntegrityError:
        return "already done"   # a concurrent run committed the same key first
    return "done"


def claim(sessions, key: str, call_id: str, kind: str, detail: dict | None = None,
          resend_in_doubt: bool = False) -> str:
    """Mark an external effect as under way. GO: send now; DONE / IN_DOUBT / BUSY: do not."""
    try:
        with sessions() as session, session.begin():
            return claim_in(session, key, call_id, kind, detail, resend_in_doubt)
    except IntegrityError:
        return BUSY


def claim_in(session, key: str, call_id: str, kind: str, detail: dict | None = None,
             resend_in_doubt: bool = False) -> str:
    """``claim`` in the caller's transaction; the send waits until that transaction has committed."""
    if _insert_if_absent(session, {"key": key, "call_id": call_id, "kind": kind, "status": "pending",
                                   "attempts": 1, "detail": detail or {}, "updated_at": utcnow()}):
        return GO   # the first claim: one statement
    row = session.scalar(_BY_KEY_LOCKED, {"key": key})
    if row is None:
        session.add(Effect(key=key, call_id=call_id, kind=kind, status="pending", attempts=1,
                           detail=detail or {}, updated_at=utcnow()))
        return GO
    if row.status in ("done", "skipped"):
        return DONE
    if row.status == "unknown" or (row.status == "pending" and not resend_in_doubt):
        row.status, row.updated_at = "unknown", utcnow()
        row.last_error = row.last_error or "an earlier attempt stopped between the send and its marker"
        return IN_DOUBT
    row.status, row.attempts, row.updated_at = "pending", row.attempts + 1, utcnow()
    return GO


def settle(sessions, key: str, status: str, detail: dict | None = None, error: str | None = None) -> None:
    with sessions() as session, session.begin():
        settle_in(session, key, status, detail, error)


def settle_in(session, key: str, status: str, detail: dict | None = None, error: str | None = None) -> None:
    row = session.scalar(_BY_KEY, {"key": key})
    row.status, row.updated_at, row.last_error = status, utcnow(), error
    if detail:
        row.detail = {**(row.detail or {}), **detail}


def skip(sessions, key: str, call_id: str, kind: str, why: str) -> None:
    """Record that an effect does not apply (no caller number, no CRM configured...)."""
    try:
        with sessions() as session, session.begin():
            skip_in(session, key, call_id, kind, why)
    except IntegrityError:
        pass


def skip_in(session, key: str, call_id: str, kind: str, why: str) -> None:
    if session.scalar(_BY_KEY, {"key": key}) is None:
        session.add(Effect(key=key, call_id=call_id, kind=kind, status="skipped", attempts=0,
                           detail={"why": why}, updated_at=utcnow()))

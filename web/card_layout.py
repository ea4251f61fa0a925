"""Which card fields show, and in what order, per role and per queue (records.card_models.CardLayout).

A queue's layout for the role wins over the role's layout for all queues (queue ""), which wins
over DEFAULT. The name, VIP badge and the call actions always show.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import select

from records.card_models import CardLayout

FIELDS = ("number", "tier", "language", "queue", "wait", "ivr", "tags", "fields", "tickets", "calls",
          "history", "kb")
DEFAULT = list(FIELDS)


def clean(fields: Iterable[Any]) -> list[str]:
    """Known field names, first occurrence kept; raises ValueError for anything else."""
    out: list[str] = []
    for name in fields:
        if name not in FIELDS:
            raise ValueError(f"unknown card field {str(name)[:40]!r}")
        if name not in out:
            out.append(name)
    return out


def layouts_for_role(session, role: str) -> dict[str, Any]:
    """{"default": [...], "queues": {queue: [...]}} for one role; the console picks by the pop's queue."""
    rows = session.scalars(select(CardLayout).where(CardLayout.role == role)).all()
    by_queue = {row.queue: list(row.fields) for row in rows}
    return {"default": by_queue.pop("", DEFAULT), "queues": by_queue}


def resolve(layouts: dict[str, Any], queue: str | None) -> list[str]:
    return layouts["queues"].get(queue or "", layouts["default"])


def save(session, role: str, queue: str, fields: Iterable[Any], who: str | None) -> CardLayout:
    from records.models import utcnow

    row = session.scalar(select(CardLayout).where(CardLayout.role == role, CardLayout.queue == queue))
    if row is None:
        row = CardLayout(role=role, queue=queue)
        session.add(row)
    row.fields, row.updated_by, row.updated_at = clean(fields), who, utcnow()
    session.flush()
    return row


def remove(session, role: str, queue: str) -> bool:
    row = session.scalar(select(CardLayout).where(CardLayout.role == role, CardLayout.queue == queue))
    if row is not None:
        session.delete(row)
    return row is not None

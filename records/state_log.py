"""The agent state log the reports read (login, occupancy, idle and break time).

The controller calls ``append_many(sessions, changes)`` (batched) on every agent state change,
including ``logged_out``; the console adds its rows to its own transaction with ``add``. Each row
lasts until the agent's next row. ``at`` is a
datetime or unix seconds (default now). Appending never updates earlier rows, so a late or
repeated write at worst adds a zero-length segment.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import func, insert, select

from records.calls import to_datetime
from records.models import utcnow
from records.wrapup_models import AGENT_STATES, AgentStateChange


def append(sessions, agent_id: str, state: str, reason: str | None = None, at: Any = None) -> None:
    append_many(sessions, [(agent_id, state, reason, at)])


def append_many(sessions, changes: Iterable[tuple[str, str, str | None, Any]]) -> int:
    """(agent_id, state, reason, at) rows in one transaction (one multi-row INSERT). A bad state
    raises before anything is written."""
    with sessions() as session, session.begin():
        return add(session, changes)


def add(session, changes: Iterable[tuple[str, str, str | None, Any]]) -> int:
    """The rows into the caller's transaction (committed with it); a bad state raises first."""
    rows = []
    for agent_id, state, reason, at in changes:
        if state not in AGENT_STATES:
            raise ValueError(f"unknown agent state {state!r}; one of {AGENT_STATES}")
        rows.append({"agent_id": agent_id, "state": state, "reason": reason, "at": to_datetime(at) or utcnow()})
    if rows:
        session.execute(insert(AgentStateChange), rows)
    return len(rows)


def _utc(value: datetime) -> datetime:
    aware = to_datetime(value)
    assert aware is not None
    return aware.astimezone(timezone.utc)


def read(sessions, start: datetime, end: datetime, agent_id: str | None = None) -> list[AgentStateChange]:
    """Rows in [start, end) plus each agent's last row before ``start`` (the state it was in).
    ``start``/``end`` naive (UTC) or aware in any zone; the rows' ``at`` come back aware UTC (SQLite
    stores naive UTC, PostgreSQL gives aware values: both are compared as aware UTC)."""
    start, end = _utc(start), _utc(end)
    with sessions() as session:
        query = select(AgentStateChange).where(AgentStateChange.at < end)
        if agent_id is not None:
            query = query.where(AgentStateChange.agent_id == agent_id)
        rows = session.scalars(query.order_by(AgentStateChange.agent_id, AgentStateChange.at,
                                              AgentStateChange.id)).all()
    out, before = [], {}
    for row in rows:
        row.at = _utc(row.at)   # the session is closed: this changes only the returned object
        if row.at < start:
            before[row.agent_id] = row
        else:
            out.append(row)
    return sorted([*before.values(), *out], key=lambda r: (r.agent_id, r.at, r.id))


def last_states(sessions) -> dict[str, tuple[str, str | None, float]]:
    """Each agent's latest row: agent id -> (state, reason, at as unix seconds). For putting agents
    back when Redis lost its data (control/domain/agent_restore.py)."""
    latest = (select(AgentStateChange.agent_id, AgentStateChange.state, AgentStateChange.reason, AgentStateChange.at,
                     func.row_number().over(partition_by=AgentStateChange.agent_id,
                                            order_by=(AgentStateChange.at.desc(), AgentStateChange.id.desc()))
                     .label("n"))
              .subquery())
    with sessions() as session:
        rows = session.execute(select(latest.c.agent_id, latest.c.state, latest.c.reason, latest.c.at)
                               .where(latest.c.n == 1)).all()
    return {agent_id: (state, reason, _utc(at).timestamp()) for agent_id, state, reason, at in rows}

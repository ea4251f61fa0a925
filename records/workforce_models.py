"""Agents' shifts (docs/workforce.md, Schedules and adherence). Migration 0009 creates the table."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from records.models import Base, utcnow


class AgentShift(Base):
    """One shift: start and end (aware, stored UTC) and its breaks as [[start, end], ...] ISO strings."""
    __tablename__ = "agent_shifts"
    __table_args__ = (UniqueConstraint("agent_id", "start_at", name="uq_agent_shifts_agent_start"),
                      Index("ix_agent_shifts_start", "start_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), nullable=False)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    breaks: Mapped[list[list[str]]] = mapped_column(JSON, nullable=False, default=list)
    created_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

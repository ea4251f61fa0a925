"""The call report's stored figures (reports/rollup.py writes them, reports/queries.py reads them).

``RollupMember``: one row per rolled-up call — what that call contributes to the report (its
15-minute UTC bucket, keys, thresholds used, flags and seconds). It is the snapshot a later
change is compared with, and what a rollup row is recomputed from.

``CallRollup``: per 15-minute UTC bucket and dimension (``queue``, ``agent``, ``did``) key, the
sums and counts of its members. ``queue``, ``sl_s`` and ``short_s`` are part of the key so the
reader can check that the thresholds used are the ones asked for. ``dim_key`` is '' for none.
Migration 0004 creates both tables.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from records.models import Base, Call

DIMS = {"queue": "queue", "agent": "agent", "did": "did"}


class RollupMember(Base):
    __tablename__ = "call_rollup_members"

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller: Mapped[str | None] = mapped_column(String(64), nullable=True)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    queue: Mapped[str] = mapped_column(String(64), nullable=False)
    agent: Mapped[str] = mapped_column(String(64), nullable=False)
    did: Mapped[str] = mapped_column(String(64), nullable=False)
    sl_s: Mapped[float] = mapped_column(Float, nullable=False)
    short_s: Mapped[float] = mapped_column(Float, nullable=False)
    answered: Mapped[int] = mapped_column(Integer, nullable=False)
    abandoned: Mapped[int] = mapped_column(Integer, nullable=False)
    short_abandoned: Mapped[int] = mapped_column(Integer, nullable=False)
    within_sl: Mapped[int] = mapped_column(Integer, nullable=False)
    wait_s: Mapped[float] = mapped_column(Float, nullable=False)
    handle_s: Mapped[float] = mapped_column(Float, nullable=False)     # talk + hold + wrap
    transferred: Mapped[int] = mapped_column(Integer, nullable=False)
    is_repeat: Mapped[int] = mapped_column(Integer, nullable=False)    # caller called within 24 h before
    csat: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (Index("ix_call_rollup_members_bucket", "bucket"),
                      Index("ix_call_rollup_members_caller_entered_at", "caller", "entered_at"))


class CallRollup(Base):
    __tablename__ = "call_rollup_15m"

    dim: Mapped[str] = mapped_column(String(8), primary_key=True)
    bucket: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    dim_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    sl_s: Mapped[float] = mapped_column(Float, primary_key=True)
    short_s: Mapped[float] = mapped_column(Float, primary_key=True)
    offered: Mapped[int] = mapped_column(Integer, nullable=False)
    answered: Mapped[int] = mapped_column(Integer, nullable=False)
    abandoned: Mapped[int] = mapped_column(Integer, nullable=False)
    short_abandoned: Mapped[int] = mapped_column(Integer, nullable=False)
    within_sl: Mapped[int] = mapped_column(Integer, nullable=False)
    wait_answered_s: Mapped[float] = mapped_column(Float, nullable=False)
    handle_s: Mapped[float] = mapped_column(Float, nullable=False)
    max_wait_s: Mapped[float] = mapped_column(Float, nullable=False)
    transferred: Mapped[int] = mapped_column(Integer, nullable=False)
    repeats: Mapped[int] = mapped_column(Integer, nullable=False)
    csat_sum: Mapped[int] = mapped_column(Integer, nullable=False)
    csat_count: Mapped[int] = mapped_column(Integer, nullable=False)


# Calls not rolled up yet (the report reads them raw); a partial index keeps it small.
Index("ix_calls_not_rolled_up", Call.__table__.c.entered_at,
      postgresql_where=Call.__table__.c.rolled_up == False,  # noqa: E712
      sqlite_where=Call.__table__.c.rolled_up == False)  # noqa: E712

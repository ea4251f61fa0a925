"""Tables of quality management (docs/quality.md): each recorded call's analysis and automatic score,
and evaluators' scorecards with the agent's acknowledgement or dispute. Migration 0008 creates them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, Boolean, CheckConstraint, DateTime, Float, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column

from records.models import Base, utcnow

EVALUATION_STATUSES = ("submitted", "acknowledged", "disputed")


class CallQuality(Base):
    """One row per analysed call (rerunning the analysis replaces it)."""
    __tablename__ = "call_quality"
    __table_args__ = (Index("ix_call_quality_ended", "ended_at"),)

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    queue: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    analysed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    duration_s: Mapped[float] = mapped_column(Float, nullable=False)
    caller_talk_s: Mapped[float] = mapped_column(Float, nullable=False)
    agent_talk_s: Mapped[float] = mapped_column(Float, nullable=False)
    agent_talk_ratio: Mapped[float | None] = mapped_column(Float, nullable=True)
    silence_s: Mapped[float] = mapped_column(Float, nullable=False)
    longest_silence_s: Mapped[float] = mapped_column(Float, nullable=False)
    long_silences: Mapped[int] = mapped_column(Integer, nullable=False)
    talk_over_s: Mapped[float] = mapped_column(Float, nullable=False)
    hold_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_agent_word_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_speaker: Mapped[str | None] = mapped_column(String(8), nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)  # all, with segments
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    transcript_status: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    transcript: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)   # {side: text}
    phrases: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)      # {rule: hit}
    auto_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    auto_passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    auto_results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)


class Evaluation(Base):
    """An evaluator's scorecard for a call: every criterion, automatic ones as computed, manual ones as
    answered. Two evaluators on one call is a calibration; the agent acknowledges or disputes."""
    __tablename__ = "quality_evaluations"
    __table_args__ = (UniqueConstraint("call_id", "evaluator", name="uq_quality_evaluations_call_evaluator"),
                      CheckConstraint("status IN ('submitted', 'acknowledged', 'disputed')",
                                      name="ck_quality_evaluations_status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    evaluator: Mapped[str] = mapped_column(String(80), nullable=False)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    queue: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)     # manual criteria
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    passed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="submitted")
    agent_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

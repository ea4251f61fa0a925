"""Tables of the after-call work and the reports: effects, recordings, webhooks, CSAT,
per-call handling facts and the agent state log.

They share ``Base`` with records/models.py, so one metadata (and one Alembic history) covers
both; migration 0002 creates them. Importing this module also declares the report indexes on
``calls`` (see the end of the file).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (JSON, Boolean, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String,
                        Text)
from sqlalchemy.orm import Mapped, mapped_column

from records.models import Base, Call, utcnow

EFFECT_STATUSES = ("pending", "done", "failed", "unknown", "skipped")
WEBHOOK_FORMATS = ("json", "dingtalk", "wecom", "slack")
AGENT_STATES = ("logged_out", "available", "reserved", "on_call", "wrap_up", "break", "not_ready")


class Effect(Base):
    """One side effect of a wrap-up job, keyed so that a rerun finds it (``sms:<call id>``...).

    ``pending`` means claimed and under way; ``unknown`` means a crash or timeout left it in
    doubt and it is not repeated automatically; ``failed`` means retries ran out (a manual
    retry may run it again).
    """
    __tablename__ = "wrapup_effects"
    __table_args__ = (CheckConstraint("status IN ('pending', 'done', 'failed', 'unknown', 'skipped')",
                                      name="ck_wrapup_effects_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    call_id: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow,
                                                 index=True)


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    customer_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("customers.id", ondelete="SET NULL"),
                                                    nullable=True, index=True)
    path: Mapped[str] = mapped_column(String(500), nullable=False)          # inside the archive dir
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)   # None when not a WAV file
    archived_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class WebhookTarget(Base):
    __tablename__ = "webhook_targets"
    __table_args__ = (CheckConstraint("format IN ('json', 'dingtalk', 'wecom', 'slack')",
                                      name="ck_webhook_targets_format"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    url: Mapped[str] = mapped_column(String(1000), nullable=False)
    format: Mapped[str] = mapped_column(String(16), nullable=False, default="json")
    secret: Mapped[str | None] = mapped_column(String(200), nullable=True)   # HMAC key (json, dingtalk)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class CsatResponse(Base):
    __tablename__ = "csat_responses"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="ck_csat_responses_score"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="sms")
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class CallFacts(Base):
    """What the call record does not carry: hold and wrap-up time, transfer, follow-up request.

    Written by the console/controller (records/call_facts.py) and read by the reports.
    """
    __tablename__ = "call_facts"

    call_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hold_s: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    wrap_s: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    transferred: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    follow_up: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    follow_up_subject: Mapped[str | None] = mapped_column(String(300), nullable=True)
    follow_up_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id", ondelete="SET NULL"),
                                                     nullable=True)


class AgentStateChange(Base):
    """Agent state log: each row starts a state that lasts until the agent's next row."""
    __tablename__ = "agent_state_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    __table_args__ = (Index("ix_agent_state_log_agent_at", "agent_id", "at"),
                      Index("ix_agent_state_log_at", "at"))


# Report indexes on the shared calls table (declared here so the models and migration 0002 agree).
# entered_at drives every interval report; (caller, entered_at) finds repeat calls.
Index("ix_calls_entered_at", Call.__table__.c.entered_at)
Index("ix_calls_caller_entered_at", Call.__table__.c.caller, Call.__table__.c.entered_at)

import records.rollup_models  # noqa: F401,E402  (the report rollup tables share this metadata)
import records.quality_models  # noqa: F401,E402  (quality tables share this metadata)
import records.workforce_models  # noqa: F401,E402  (shift tables share this metadata)

"""Tables the agent console adds: the card layout per role and queue, and scheduled callbacks.

They share ``Base`` with records/models.py; migration 0003 creates them (and imports this
module so that drift checks see them).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from records.models import Base, utcnow

CALLBACK_STATUSES = ("scheduled", "done", "cancelled")


class CardLayout(Base):
    """Which card fields an agent sees, in order. ``queue`` "" is the role's layout for every queue."""
    __tablename__ = "card_layouts"
    __table_args__ = (UniqueConstraint("role", "queue", name="uq_card_layouts_role_queue"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(20), nullable=False)
    queue: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    fields: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    updated_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Callback(Base):
    __tablename__ = "callbacks"
    __table_args__ = (CheckConstraint("status IN ('scheduled', 'done', 'cancelled')", name="ck_callbacks_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("customers.id", ondelete="SET NULL"),
                                                    nullable=True)
    call_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    queue: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="scheduled")
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

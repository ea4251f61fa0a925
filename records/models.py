"""SQLAlchemy 2.0 models shared by the console, the controller and the worker.

JSON columns use the generic ``JSON`` type (SQLite's JSON1 and PostgreSQL's json),
so one migration serves both databases.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (JSON, Boolean, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String,
                        Text, false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("agent", "supervisor", "admin")
CHANNELS = ("chat", "email", "call")
TICKET_STATUSES = ("open", "closed")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="ck_users_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="agent")
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), ForeignKey("agents.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    # The phone a supervisor listens, whispers and barges from when they have no agent phone of their own;
    # the console rings no other extension for them (docs/security.md, Monitoring).
    monitor_extension: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # Part of every session cookie (get_id); a new token revokes every session the user has.
    session_token: Mapped[str] = mapped_column(String(64), nullable=False, default=lambda: secrets.token_hex(16),
                                               server_default="")
    # Set by an admin's forced reset: the user must choose a new password before anything else.
    must_change_password: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                                       server_default=false())

    agent: Mapped["Agent | None"] = relationship(back_populates="users")

    def set_password(self, password: str) -> None:
        self.set_password_hash(generate_password_hash(password))

    def set_password_hash(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.revoke_sessions()

    def revoke_sessions(self) -> None:
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    # The attributes Flask-Login expects, without importing Flask into the shared models.
    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """"<id>:<session_token>": a cookie names the session generation it belongs to."""
        return f"{self.id}:{self.session_token}"


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)   # the live-state id, e.g. "alice"
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    extension: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    sip_password: Mapped[str] = mapped_column(String(128), nullable=False)
    wrap_up_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    queues: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # offer order
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)     # top-down order
    # The agent's phone: "sip" (a desk phone or softphone of their own) or "browser" (the console's
    # softphone, which must be registered to be available); auto_answer: the console answers offers.
    phone: Mapped[str] = mapped_column(String(16), nullable=False, default="sip", server_default="sip")
    auto_answer: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())

    users: Mapped[list[User]] = relationship(back_populates="agent")
    skills: Mapped[list["AgentSkill"]] = relationship(back_populates="agent", cascade="all, delete-orphan")


class Skill(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(String(200), nullable=False, default="")


class AgentSkill(Base):
    __tablename__ = "agent_skills"
    __table_args__ = (CheckConstraint("proficiency BETWEEN 1 AND 10", name="ck_agent_skills_proficiency"),)

    agent_id: Mapped[str] = mapped_column(String(64), ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(Integer, ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    proficiency: Mapped[int] = mapped_column(Integer, nullable=False)

    agent: Mapped[Agent] = relationship(back_populates="skills")
    skill: Mapped[Skill] = relationship()


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    strategy: Mapped[str] = mapped_column(String(40), nullable=False, default="longest-idle-agent")
    config: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)  # for IVR account lookups
    name: Mapped[str] = mapped_column(String(300), nullable=False)
    tier: Mapped[str] = mapped_column(String(20), nullable=False, default="standard")
    tags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)

    numbers: Mapped[list["CustomerNumber"]] = relationship(back_populates="customer", cascade="all, delete-orphan")


class CustomerNumber(Base):
    __tablename__ = "customer_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    e164: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id", ondelete="CASCADE"),
                                             nullable=False, index=True)

    customer: Mapped[Customer] = relationship(back_populates="numbers")


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    caller: Mapped[str | None] = mapped_column(String(64), nullable=True)
    did: Mapped[str | None] = mapped_column(String(64), nullable=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("customers.id", ondelete="SET NULL"),
                                                    nullable=True, index=True)
    ivr_path: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    queue: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agent_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)  # no FK: agents come and go
    entered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    offered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    wait_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    talk_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    hangup_cause: Mapped[str | None] = mapped_column(String(64), nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(64), nullable=True)
    recording_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    offers: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    explanations: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    priority: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tier: Mapped[str | None] = mapped_column(String(20), nullable=True)
    node: Mapped[str | None] = mapped_column(String(64), nullable=True)   # the FreeSWITCH node of the call
    # set when the call's KPI contribution is in the 15-minute rollup (reports/rollup.py)
    rolled_up: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default="0")


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (CheckConstraint("status IN ('open', 'closed')", name="ck_tickets_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    call_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # may precede the call record
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    created_by: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("customers.id", ondelete="CASCADE"),
                                                    nullable=True, index=True)
    call_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    author_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (CheckConstraint("channel IN ('chat', 'email', 'call')", name="ck_interactions_channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id", ondelete="CASCADE"),
                                             nullable=False, index=True)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)
    summary: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"
    # a wrap-up job looks up its call's "call.finalized" row (worker/wrapup.py) in a log that only grows
    __table_args__ = (Index("ix_audit_log_action_target", "action", "target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    who: Mapped[str | None] = mapped_column(String(80), nullable=True)   # username; kept if the user is deleted
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AfterCallWork(Base):
    """The transactional outbox of after-call work: one row per call record, written in the same
    transaction as the record (records/calls.py), done once ``worker.wrapup.finalize_call`` has run and
    fanned out. The sweeper (records/after_call.py) enqueues the job again for a row still pending, so
    work queued in Redis is not lost with Redis's data (docs/scaling.md)."""
    __tablename__ = "after_call_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)   # enqueued by the sweeper
    enqueued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True, index=True)

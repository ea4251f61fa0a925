"""Admin pages: listings of users, agents (with skills) and queues."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from records.models import Agent, AgentSkill, AuditLog, Queue, User
from web.extensions import db
from web.roles import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@role_required("admin")
def users():
    rows = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=rows)


@bp.get("/agents")
@role_required("admin")
def agents():
    rows = db.session.scalars(select(Agent).options(selectinload(Agent.skills).selectinload(AgentSkill.skill))
                              .order_by(Agent.position, Agent.id)).all()
    return render_template("admin/agents.html", agents=rows)


@bp.get("/queues")
@role_required("admin")
def queues():
    rows = db.session.scalars(select(Queue).order_by(Queue.name)).all()
    return render_template("admin/queues.html", queues=rows)


@bp.get("/audit")
@role_required("admin")
def audit_log():
    rows = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc()).limit(200)).all()
    return render_template("admin/audit.html", entries=rows)

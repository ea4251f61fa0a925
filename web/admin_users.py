"""Admin: users from the console and the REST API — create, role and agent, disable/enable, reset.

The rules are records/accounts.py's (the CLI's too). A new user, and a reset, get a temporary
password shown once to the admin; the user must choose their own at first login. Every change
is audited with what it was before.
"""
from __future__ import annotations

import secrets

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from records import accounts
from records.accounts import AccountError
from records.models import ROLES, Agent, User
from web.audit import audit
from web.extensions import db
from web.passwords import hash_password
from web.roles import role_required

bp = Blueprint("admin_users", __name__)
ACTIONS = ("disable", "enable", "reset")


@bp.post("/admin/users/new")
@role_required("admin")
def create():
    form = request.form
    try:
        user, password = _create(form.get("username", ""), form.get("role", "agent"), form.get("agent_id") or None)
    except AccountError as exc:
        db.session.rollback()
        return users_page(error=str(exc)), 400
    return render_template("admin/user_password.html", username=user.username, password=password)


@bp.post("/admin/users/<int:user_id>/<action>")
@role_required("admin")
def act(user_id: int, action: str):
    user = db.session.get(User, user_id)
    if user is None or action not in (*ACTIONS, "role"):
        return _("No such user or action."), 404
    try:
        password = _act(user, action, request.form.get("role"), request.form.get("agent_id"))
    except AccountError as exc:
        db.session.rollback()
        return users_page(error=str(exc)), 400
    if password:
        return render_template("admin/user_password.html", username=user.username, password=password)
    return users_page(notice=_("%(user)s: %(action)s done.", user=user.username, action=action))


@bp.post("/api/admin/users")
@role_required("admin")
def api_create():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("username"), str):
        return jsonify(error="send a JSON object with username, and optionally role and agent_id"), 400
    role, agent_id = data.get("role", "agent"), data.get("agent_id")
    if not isinstance(role, str) or (agent_id is not None and not isinstance(agent_id, str)):
        return jsonify(error="role and agent_id are strings"), 400
    try:
        user, password = _create(data["username"], role, agent_id)
    except AccountError as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 400
    return jsonify(username=user.username, role=user.role, agent_id=user.agent_id, temporary_password=password), 201


@bp.post("/api/admin/users/<username>/<action>")
@role_required("admin")
def api_act(username: str, action: str):
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or action not in (*ACTIONS, "role"):
        return jsonify(error=f"no user {username!r} or no action {action!r} ({', '.join((*ACTIONS, 'role'))})"), 404
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        return jsonify(error="send a JSON object"), 400
    try:
        password = _act(user, action, data.get("role"), data.get("agent_id", user.agent_id))
    except AccountError as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 400
    body = {"username": user.username, "role": user.role, "agent_id": user.agent_id, "active": user.active}
    return jsonify({**body, "temporary_password": password} if password else body)


def _create(username: str, role: str, agent_id: str | None) -> tuple[User, str]:
    password = _temporary()
    user = accounts.add_user(db.session, username, password, role=role, agent_id=agent_id, hasher=hash_password)
    user.must_change_password = True
    audit("user.create", f"user:{user.username}", before={}, after={"role": role, "agent_id": agent_id})
    db.session.commit()
    return user, password


def _act(user: User, action: str, role, agent_id) -> str | None:
    """Carry out ``action`` on ``user``; the temporary password of a reset, else None."""
    before = {"role": user.role, "agent_id": user.agent_id, "active": user.active}
    password = None
    if action == "disable":
        accounts.disable(db.session, user.username)
    elif action == "enable":
        accounts.enable(db.session, user.username)
    elif action == "reset":
        password = _temporary()
        accounts.set_password(db.session, user.username, password, must_change=True, hasher=hash_password)
    else:
        _set_role(user, role, agent_id)
    audit(f"user.{action}", f"user:{user.username}", before=before,
          after={"role": user.role, "agent_id": user.agent_id, "active": user.active})
    db.session.commit()
    return password


def _set_role(user: User, role, agent_id) -> None:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if agent_id is not None and not isinstance(agent_id, str):
        raise AccountError("agent_id is a string")
    agent_id = (agent_id or "").strip() or None
    if agent_id is not None and db.session.get(Agent, agent_id) is None:
        raise AccountError(f"no agent with id {agent_id!r}")
    if role == "agent" and agent_id is None:
        raise AccountError("an agent user needs an agent (its phone and skills): pick one")
    user.role, user.agent_id = role, agent_id
    user.revoke_sessions()   # the new role applies from the next sign-in


def _temporary() -> str:
    return secrets.token_urlsafe(12)


def users_page(error: str | None = None, notice: str | None = None):
    users = accounts.list_users(db.session)
    agents = list(db.session.scalars(select(Agent.id).order_by(Agent.id)))
    return render_template("admin/users.html", users=users, agents=agents, roles=ROLES, error=error, notice=notice)

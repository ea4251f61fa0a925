"""Roles are ordered: agent < supervisor < admin. Every view names the least role it needs."""
from __future__ import annotations

from functools import wraps

from flask import abort, jsonify, request
from flask_login import current_user

LEVELS = {"agent": 1, "supervisor": 2, "admin": 3}


def level(role: str | None) -> int:
    return LEVELS.get(role or "", 0)


def has_role(user, role: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and level(getattr(user, "role", None)) >= LEVELS[role]


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def role_required(role: str):
    if role not in LEVELS:
        raise ValueError(f"unknown role {role!r}")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                if _wants_json():
                    return jsonify(error="login required"), 401
                from web.extensions import login_manager

                return login_manager.unauthorized()
            if not has_role(current_user, role):
                if _wants_json():
                    return jsonify(error="forbidden", needs=role), 403
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator

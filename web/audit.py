"""Audit trail: who saw or changed which customer data, when, from where."""
from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user

from records.models import AuditLog
from web.extensions import db


def audit(action: str, target: str | None = None, **details: Any) -> AuditLog:
    """Add an entry to the current session; the caller's commit writes it with the change."""
    who = current_user.username if getattr(current_user, "is_authenticated", False) else None
    entry = AuditLog(who=who, action=action, target=target, details=details,
                     ip=request.remote_addr if request else None)
    db.session.add(entry)
    return entry

"""Login and logout (Flask-Login session cookie; the form is CSRF-protected).

A session cookie carries the user's ``session_token`` (User.get_id); logout and a password change
draw a new token, which ends every session the user had. Failed logins are limited per account
and per address (web/login_limits.py); password hashes are checked off the event loop at the same
cost for unknown users (web/passwords.py).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from records.models import User
from web.audit import audit
from web.extensions import db
from web.passwords import verify

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: an open redirect would make a fine phishing tool."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def start_session(user: User) -> None:
    """Log ``user`` in on this browser with the session lifetime from config."""
    if not user.session_token:   # rows from before migration 0005
        user.revoke_sessions()
    session.permanent = True
    login_user(user)


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username))
    usable = user if user is not None and user.active else None
    matched = verify(usable.password_hash if usable is not None else None, password)
    return usable if matched else None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data.strip(), form.password.data)
        if user is not None:
            start_session(user)
            audit("login", f"user:{user.username}")
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("account.password"))
            return redirect(_safe_next(request.args.get("next")) or url_for("index"))
        audit("login_failed", f"user:{form.username.data.strip()[:80]}")
        db.session.commit()
        flash(_("Wrong username or password."), "error")
    return render_template("login.html", form=form), (401 if form.is_submitted() else 200)


@bp.post("/logout")
@login_required
def logout():
    audit("logout", f"user:{current_user.username}")
    current_user.revoke_sessions()   # a copy of this cookie elsewhere stops working too
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))

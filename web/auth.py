"""Login and logout (Flask-Login session cookie; the form is CSRF-protected)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from records.models import User
from web.audit import audit
from web.extensions import db

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


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.username == form.username.data.strip()))
        if user is not None and user.active and user.check_password(form.password.data):
            login_user(user)
            audit("login", f"user:{user.username}")
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("index"))
        audit("login_failed", f"user:{form.username.data.strip()[:80]}")
        db.session.commit()
        flash(_("Wrong username or password."), "error")
    return render_template("login.html", form=form), (401 if form.is_submitted() else 200)


@bp.post("/logout")
@login_required
def logout():
    audit("logout", f"user:{current_user.username}")
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))

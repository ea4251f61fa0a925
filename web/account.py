"""A user's own password (page and API), an admin's forced reset, and the gate that sends a user
who must change their password to the change page before anything else."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from records import accounts
from web.audit import audit
from web.auth import start_session
from web.extensions import db
from web.passwords import hash_password, verify
from web.roles import role_required

bp = Blueprint("account", __name__)

# What a user who must change their password may still reach.
OPEN_WHILE_RESET = {"account.password", "account.api_password", "auth.logout", "auth.login", "static"}


class PasswordForm(FlaskForm):
    current_password = PasswordField("current_password", validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField("new_password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("confirm", validators=[DataRequired(), Length(max=200)])


def _change(current: str, new: str) -> str | None:
    """Change the signed-in user's password; the error message, or None when done."""
    user = current_user._get_current_object()   # the User itself: login_user must not store the proxy
    if not verify(user.password_hash, current):
        return _("The current password is wrong.")
    try:
        accounts.change_own_password(user, current, new, hasher=hash_password)
    except accounts.AccountError as exc:
        return str(exc)
    audit("password_changed", f"user:{user.username}")
    start_session(user)   # the new token: this browser stays signed in, every other session ends
    db.session.commit()
    return None


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if form.new_password.data != form.confirm.data:
            error = _("The two new passwords differ.")
        else:
            error = _change(form.current_password.data, form.new_password.data)
        if error is None:
            flash(_("Password changed."), "ok")
            return redirect(url_for("index"))
        flash(error, "error")
        return render_template("account_password.html", form=form), 400
    return render_template("account_password.html", form=form)


@bp.post("/api/account/password")
@login_required
def api_password():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("current_password"), str) \
            or not isinstance(data.get("new_password"), str):
        return jsonify(error="send a JSON object with current_password and new_password (strings)"), 400
    error = _change(data["current_password"], data["new_password"])
    if error is not None:
        return jsonify(error=error), 400
    return jsonify(ok=True)


@bp.post("/api/users/<username>/force-reset")
@role_required("admin")
def api_force_reset(username: str):
    try:
        accounts.force_reset(db.session, username)
    except accounts.AccountError as exc:
        return jsonify(error=str(exc)), 404
    audit("password_reset_forced", f"user:{username}")
    db.session.commit()
    return jsonify(ok=True, must_change_password=True)


@bp.before_app_request
def require_new_password():
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if request.endpoint in OPEN_WHILE_RESET or (request.endpoint or "").startswith("health."):
        return None
    if request.path.startswith("/api/"):
        return jsonify(error="password change required: POST /api/account/password"), 403
    return redirect(url_for("account.password"))

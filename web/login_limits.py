"""Failed-login limits per account name and per client address (Flask-Limiter, stored in Redis so
every console process counts the same failures).

Only failures count (``deduct_when``: a 401). Past a limit the login answers 429 with Retry-After,
even for the right password, until the window passes: the config's limits (``login_limit_account``,
``login_limit_address``) step from a minute to an hour, which is the back-off. When Redis is down
the counts fall back to this process's memory instead of letting every guess through.
"""
from __future__ import annotations

from typing import cast

from flask import Flask, request
from flask.typing import RouteCallable
from flask_limiter import Limiter

from control.config import Config
from control.store.keys import Keys


def client_address() -> str:
    # Behind a reverse proxy, wrap the app in werkzeug's ProxyFix so this is the client (docs/security.md).
    return request.remote_addr or "unknown"


def account_name() -> str:
    return "account:" + (request.form.get("username") or "").strip().lower()[:80]


def _failed(response) -> bool:
    return response.status_code == 401


LOGIN_ENDPOINT = "auth.login"


def install(app: Flask, config: Config) -> Limiter:
    """Wrap the login view of ``app`` in both limits (POST only)."""
    # limits' own prefix: the counters live under the deployment's Redis prefix, like every other key
    options: dict = {"key_prefix": Keys(config.redis_prefix).login_limits()}
    if "RATELIMIT_STORAGE_URI" not in app.config:
        # the pool of the one client factory (control/store/redis_clients.py), so Sentinel applies here too
        from control.store.redis_clients import redis_client

        app.config["RATELIMIT_STORAGE_URI"] = config.redis_url
        options["connection_pool"] = redis_client(config, socket_connect_timeout=3).connection_pool
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", options)
    limiter = Limiter(key_func=client_address, app=app, in_memory_fallback_enabled=True, headers_enabled=True,
                      strategy="fixed-window")
    view = app.view_functions[LOGIN_ENDPOINT]
    by_address = limiter.limit(config.login_limit_address, methods=["POST"], deduct_when=_failed,
                               scope="login-address")
    by_account = limiter.limit(config.login_limit_account, key_func=account_name, methods=["POST"],
                               deduct_when=_failed, scope="login-account")
    # Flask-Limiter's decorator is typed for async views too; this one stays synchronous
    app.view_functions[LOGIN_ENDPOINT] = cast(RouteCallable, by_account(by_address(view)))
    app.extensions["hotline.login_limiter"] = limiter
    app.register_error_handler(429, _locked_out)
    return limiter


def _locked_out(error):
    """The login page again, saying why; Flask-Limiter adds Retry-After to the response."""
    from flask import flash, render_template
    from flask_babel import gettext as _

    from web.audit import audit
    from web.auth import LoginForm
    from web.extensions import db

    if request.endpoint != LOGIN_ENDPOINT:
        return error
    audit("login_locked", "user:" + (request.form.get("username") or "").strip()[:80], limit=str(error.description))
    db.session.commit()
    flash(_("Too many failed logins. Wait a while, then try again."), "error")
    return render_template("login.html", form=LoginForm()), 429

"""The agent console: ``create_app(config=None, **overrides)``.

``overrides`` may be keys of control.config.DEFAULTS (lower case, e.g. ``database_url``)
or Flask settings (upper case, e.g. ``TESTING``, ``WTF_CSRF_ENABLED``, ``LIVE_STATE``).
"""
from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from flask import Flask, redirect, url_for
from flask_login import current_user

from control.config import Config, load_config
from records.db import engine_options, normalize_url
from records.models import User


def create_app(config: Config | None = None, **overrides: Any) -> Flask:
    config = config or load_config()
    config = config.replace(**{k: v for k, v in overrides.items() if not k.isupper()})  # KeyError if unknown
    flask_settings = {k: v for k, v in overrides.items() if k.isupper()}

    app = Flask(__name__)
    from web.extensions import babel, csrf, db, login_manager, migrate
    from web.i18n import compile_catalogs, select_locale
    from records.migrate import MIGRATIONS

    app.config.update(
        HOTLINE=config,
        SECRET_KEY=config.secret_key,
        SQLALCHEMY_DATABASE_URI=normalize_url(config.database_url),
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(config.database_url),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(config.session_cookie_secure),
        PERMANENT_SESSION_LIFETIME=timedelta(seconds=int(config.session_lifetime_s)),
        WTF_CSRF_TIME_LIMIT=None,           # a console tab stays open all shift
        SSE_HEARTBEAT_S=15,
        BABEL_DEFAULT_LOCALE="en",
    )
    app.config.update(flask_settings)
    if int(config.proxy_hops):   # behind N reverse proxies: the client's address, scheme and host
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(config.proxy_hops)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if "BABEL_TRANSLATION_DIRECTORIES" not in flask_settings:
        app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compile_catalogs())

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_user(session_id: str):
        return _session_user(db.session, session_id)

    from web import (account, admin, agent, api, api_supervisor, auth, callbacks, flow_view, health, login_limits,
                     reports, supervisor)
    # These add their routes to a blueprint of another module: /api (web/json_api.py), /callbacks.
    from web import api_calls, api_console, callbacks_api  # noqa: F401

    for module in (auth, account, agent, supervisor, admin, api, health, reports, flow_view, callbacks):
        app.register_blueprint(module.bp)
    login_limits.install(app, config)
    from web import unavailable

    unavailable.install(app)   # Redis unreachable: 503 with a banner or a JSON error, never 500
    app.register_blueprint(api_supervisor.bp)   # /api/supervisor
    csrf.exempt(health.bp)
    from web import admin_agents, admin_files, admin_users, metrics, openapi, pops, softphone

    app.register_blueprint(admin_agents.bp)
    app.register_blueprint(admin_files.bp)
    app.register_blueprint(admin_users.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(pops.bp)
    app.register_blueprint(softphone.bp)   # /api/softphone (the browser phone)
    from web import quality
    app.register_blueprint(quality.bp)   # /quality (docs/quality.md)
    from web import workforce
    app.register_blueprint(workforce.bp)   # /workforce (docs/workforce.md)

    @app.get("/")
    def index():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        if current_user.role == "admin":
            return redirect(url_for("admin.users"))
        if current_user.role == "supervisor":
            return redirect(url_for("supervisor.wallboard"))
        return redirect(url_for("agent.console"))

    @app.after_request
    def security_headers(response):
        # Defence in depth next to textContent rendering: no inline or foreign script can run.
        # The browser phone's WebSocket goes to FreeSWITCH (softphone_wss_url), another origin.
        wss = str(app.config["HOTLINE"].values.get("softphone_wss_url") or "")
        connect = f"connect-src 'self' {wss.split('?')[0]}; " if wss.startswith(("wss://", "ws://")) else ""
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; script-src 'self'; object-src 'none'; " + connect +
                                    "frame-ancestors 'none'; base-uri 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if config.hsts_max_age_s:
            response.headers.setdefault("Strict-Transport-Security", f"max-age={int(config.hsts_max_age_s)}")
        return response

    @app.context_processor
    def inject():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale() or "en")}

    return app



def _session_user(session, session_id: str) -> User | None:
    """The user a session cookie names ("<id>:<session_token>", User.get_id), if that session is
    still theirs: logout and password changes draw a new token, and every older cookie stops here."""
    user_id, _, token = session_id.partition(":")
    user = session.get(User, int(user_id)) if user_id.isdigit() and token else None
    if user is None or not user.active or not user.session_token:
        return None
    return user if hmac.compare_digest(user.session_token, token) else None

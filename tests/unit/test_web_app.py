"""App factory, login/logout, locale, CSRF, health."""
from __future__ import annotations

from sqlalchemy import select

from records.models import AuditLog
from tests.web_fixtures import build_app, client_for, login, sqlite_url, web_app  # noqa: F401


def test_factory_applies_config_and_flask_overrides(web_app, sqlite_url):
    assert web_app.config["SQLALCHEMY_DATABASE_URI"] == sqlite_url
    assert web_app.config["HOTLINE"].database_url == sqlite_url
    assert web_app.config["TESTING"] is True
    assert {"auth", "agent", "supervisor", "admin", "api", "health"} <= set(web_app.blueprints)


def test_unknown_config_key_is_refused(sqlite_url):
    import pytest

    with pytest.raises(KeyError):
        build_app(sqlite_url, no_such_key=1)


def test_login_redirects_by_role(client_for):
    assert client_for("alice").get("/").location.endswith("/agent/")
    assert client_for("supervisor").get("/").location.endswith("/supervisor/")
    assert client_for("admin").get("/").location.endswith("/admin/users")
    assert "/login" in client_for(None).get("/").location


def test_wrong_password_is_refused_and_audited(web_app):
    client = web_app.test_client()
    response = client.post("/login", data={"username": "alice", "password": "nope"})
    assert response.status_code == 401
    assert client.get("/agent/").status_code == 302          # still anonymous
    with web_app.app_context():
        from web.extensions import db

        actions = db.session.scalars(select(AuditLog.action)).all()
    assert "login_failed" in actions


def test_login_ignores_offsite_next(web_app):
    client = web_app.test_client()
    response = client.post("/login?next=https://evil.example/x", data={"username": "alice", "password": "alice"})
    assert response.location == "/"
    client = web_app.test_client()
    response = client.post("/login?next=/agent/", data={"username": "alice", "password": "alice"})
    assert response.location == "/agent/"


def test_logout_needs_post_and_ends_the_session(client_for):
    client = client_for("alice")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/agent/").status_code == 302


def test_csrf_is_enforced_when_enabled(sqlite_url):
    app = build_app(sqlite_url, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    assert client.post("/login", data={"username": "alice", "password": "alice"}).status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "alice", "password": "alice",
                                       "csrf_token": token}).status_code == 302
    # the JSON API is covered too: without the header a POST is refused
    assert client.post("/api/notes", json={"customer_id": 1, "text": "x"}).status_code == 400
    console = client.get("/agent/").get_data(as_text=True)
    meta = console.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/api/notes", json={"customer_id": 1, "text": "x"},
                       headers={"X-CSRFToken": meta}).status_code == 201


def test_locale_from_accept_language_and_from_user_setting(client_for):
    anon = client_for(None)
    assert "登录" in anon.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "Sign in" in anon.get("/login", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    dave = client_for("dave")   # seeded with locale zh
    assert "控制台" in dave.get("/agent/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    alice = client_for("alice")
    assert "控制台" in alice.get("/agent/", headers={"Accept-Language": "zh-Hans"}).get_data(as_text=True)
    assert "Console" in alice.get("/agent/").get_data(as_text=True)


def test_healthz_reports_503_when_redis_is_down(web_app):
    # web_app points at a closed port for Redis
    response = web_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("error")


def test_healthz_ok_with_a_fake_redis(sqlite_url):
    class Pong:
        def ping(self):
            return True

    app = build_app(sqlite_url, REDIS_CLIENT=Pong())
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"

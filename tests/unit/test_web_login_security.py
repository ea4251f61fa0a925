"""Sessions and login (issue 16): sessions end at logout and password change, a cookie forged with
the default key is refused, failed logins are limited in Redis across processes, and an unknown
user name costs as much time as a known one."""
from __future__ import annotations

import statistics
import time

import pytest

from tests.web_fixtures import build_app, client_for, login, sqlite_url, web_app  # noqa: F401

ADMIN_PAGE = "/admin/users"
NEW_PASSWORD = "a-much-longer-password"


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _with_cookie(app, value: str):
    client = app.test_client()
    client.set_cookie("session", value)
    return client


def test_a_cookie_captured_before_logout_is_rejected_after(web_app):
    client = login(web_app.test_client(), "admin")
    captured = _cookie(client)
    assert _with_cookie(web_app, captured).get(ADMIN_PAGE).status_code == 200
    client.post("/logout")
    response = _with_cookie(web_app, captured).get(ADMIN_PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_change_ends_other_sessions_and_keeps_this_one(web_app):
    other = login(web_app.test_client(), "alice")
    client = login(web_app.test_client(), "alice")
    response = client.post("/api/account/password", json={"current_password": "alice",
                                                          "new_password": NEW_PASSWORD})
    assert response.status_code == 200, response.get_json()
    assert client.get("/agent/").status_code == 200
    assert other.get("/agent/").status_code == 302
    login(web_app.test_client(), "alice", NEW_PASSWORD)


@pytest.mark.parametrize("body, message", [
    ({"current_password": "wrong", "new_password": NEW_PASSWORD}, "current password is wrong"),
    ({"current_password": "alice", "new_password": "short"}, "at least 12 characters"),
    ({"current_password": "alice"}, "current_password and new_password"),
])
def test_a_bad_password_change_says_what_is_wrong(client_for, body, message):
    response = client_for("alice").post("/api/account/password", json=body)
    assert response.status_code == 400 and message in response.get_json()["error"]


def test_the_password_page_changes_the_password(client_for, web_app):
    client = client_for("bob")
    assert client.get("/account/password").status_code == 200
    response = client.post("/account/password", data={"current_password": "bob", "new_password": NEW_PASSWORD,
                                                      "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    login(web_app.test_client(), "bob", NEW_PASSWORD)


def test_a_cookie_forged_with_the_secret_key_for_a_bare_user_id_is_refused(web_app):
    """The issue's forgery: {"_user_id": "6"} signed with the key. Without the user's session token
    (random, in the database) the cookie names no session."""
    serializer = web_app.session_interface.get_signing_serializer(web_app)
    forged = serializer.dumps({"_user_id": "6", "_fresh": True})
    response = _with_cookie(web_app, forged).get(ADMIN_PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_admin_forced_reset_ends_sessions_and_demands_a_new_password(client_for, web_app):
    alice = client_for("alice")
    assert client_for("admin").post("/api/users/alice/force-reset").status_code == 200
    assert alice.get("/agent/").status_code == 302
    client = web_app.test_client()
    response = client.post("/login", data={"username": "alice", "password": "alice"})
    assert response.headers["Location"].endswith("/account/password")
    assert client.get("/agent/").headers["Location"].endswith("/account/password")
    assert client.post("/api/notes", json={}).status_code == 403
    assert client.post("/api/account/password", json={"current_password": "alice",
                                                      "new_password": NEW_PASSWORD}).status_code == 200
    assert client.get("/agent/").status_code == 200


def test_only_an_admin_may_force_a_reset(client_for):
    assert client_for("supervisor").post("/api/users/alice/force-reset").status_code == 403
    assert client_for("admin").post("/api/users/nobody/force-reset").status_code == 404


def test_session_cookie_settings_and_hsts_come_from_config(sqlite_url):
    app = build_app(sqlite_url, redis_url="redis://127.0.0.1:1/0", session_cookie_secure=True,
                    hsts_max_age_s=31536000, session_lifetime_s=3600)
    client = app.test_client()
    response = client.post("/login", data={"username": "alice", "password": "alice"})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "Expires=" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get_cookie("session") is not None


def _wrong(client, username: str) -> int:
    return client.post("/login", data={"username": username, "password": "guess"}).status_code


@pytest.mark.integration
def test_forty_wrong_passwords_lock_the_account_across_processes(sqlite_url, redis_url, redis_prefix):
    """Two apps on one Redis stand for two console processes: the guesser alternates between them."""
    apps = [build_app(sqlite_url, redis_url=redis_url, redis_prefix=redis_prefix) for _ in range(2)]
    clients = [app.test_client() for app in apps]
    codes = [_wrong(clients[n % 2], "admin") for n in range(40)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    right = clients[0].post("/login", data={"username": "admin", "password": "admin"})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0
    assert "Too many failed logins" in right.get_data(as_text=True)
    assert login(clients[1], "alice")   # other accounts are not locked


@pytest.mark.integration
def test_failures_from_one_address_are_limited_over_many_account_names(sqlite_url, redis_url, redis_prefix):
    client = build_app(sqlite_url, redis_url=redis_url, redis_prefix=redis_prefix).test_client()
    codes = [_wrong(client, f"user{n}") for n in range(31)]
    assert codes[:30] == [401] * 30 and codes[30] == 429


def _login_s(client, username: str) -> float:
    start = time.perf_counter()
    assert _wrong(client, username) == 401
    return time.perf_counter() - start


def test_an_unknown_user_name_takes_as_long_as_a_known_one(sqlite_url):
    """Known and unknown names alternate, so the machine's load weighs on both alike."""
    app = build_app(sqlite_url, redis_url="redis://127.0.0.1:1/0", login_limit_account="1000 per minute",
                    login_limit_address="1000 per minute")
    client = app.test_client()
    _login_s(client, "admin")   # warm up
    pairs = [(_login_s(client, "admin"), _login_s(client, "no-such-user")) for _ in range(15)]
    known = statistics.median(k for k, _ in pairs)
    unknown = statistics.median(u for _, u in pairs)
    assert abs(known - unknown) < 0.2 * known, (known, unknown)


def test_forwarded_addresses_count_only_behind_configured_proxies(sqlite_url):
    def seen_address(**overrides) -> str:
        app = build_app(sqlite_url, **overrides)

        @app.get("/_addr")
        def _addr():
            from flask import request
            return request.remote_addr or ""
        return app.test_client().get("/_addr", headers={"X-Forwarded-For": "198.51.100.7"},
                                     environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)

    assert seen_address() == "127.0.0.1"                     # no proxy configured: the header is ignored
    assert seen_address(proxy_hops=1) == "198.51.100.7"      # one proxy: its X-Forwarded-For is the client

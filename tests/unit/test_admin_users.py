"""Admin: users created, given a role and an agent, disabled and reset from the console and the API."""
from __future__ import annotations

from tests.web_fixtures import client_for, login, sqlite_url, web_app  # noqa: F401


def test_create_a_supervisor_who_must_choose_a_password(web_app, client_for):
    reply = client_for("admin").post("/api/admin/users", json={"username": "sam", "role": "supervisor"})
    assert reply.status_code == 201, reply.get_json()
    temporary = reply.get_json()["temporary_password"]
    sam = web_app.test_client()
    signed_in = sam.post("/login", data={"username": "sam", "password": temporary})
    assert signed_in.status_code == 302
    assert "/account/password" in sam.get("/supervisor/").headers.get("Location", "")   # must choose first


def test_bad_input_is_refused_with_the_reason(client_for):
    admin = client_for("admin")
    taken = admin.post("/api/admin/users", json={"username": "alice"})
    assert taken.status_code == 400 and "exists already" in taken.get_json()["error"]
    role = admin.post("/api/admin/users", json={"username": "x1", "role": "god"})
    assert role.status_code == 400 and "role must be one of" in role.get_json()["error"]
    agent = admin.post("/api/admin/users/carol/role", json={"role": "agent", "agent_id": "nobody"})
    assert agent.status_code == 400 and "no agent with id 'nobody'" in agent.get_json()["error"]


def test_disable_ends_sessions_and_reset_gives_a_temporary_password(web_app, client_for):
    carol = client_for("carol")
    assert carol.get("/agent/").status_code == 200
    admin = client_for("admin")
    assert admin.post("/api/admin/users/carol/disable").get_json()["active"] is False
    assert carol.get("/agent/").status_code == 302                      # her session ended
    assert admin.post("/api/admin/users/carol/enable").get_json()["active"] is True
    temporary = admin.post("/api/admin/users/carol/reset").get_json()["temporary_password"]
    assert web_app.test_client().post("/login", data={"username": "carol", "password": "carol"}).status_code == 401
    assert web_app.test_client().post("/login", data={"username": "carol", "password": temporary}).status_code == 302


def test_the_page_creates_a_user_and_shows_the_password_once(client_for):
    admin = client_for("admin")
    page = admin.post("/admin/users/new", data={"username": "nina", "role": "agent", "agent_id": "dave"})
    assert page.status_code == 200 and 'id="temporary-password"' in page.get_data(as_text=True)
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert 'data-user="nina"' in listing and 'id="temporary-password"' not in listing
    refused = admin.post("/admin/users/new", data={"username": "nina", "role": "agent"})
    assert refused.status_code == 400 and 'id="users-error"' in refused.get_data(as_text=True)

"""GET /api/softphone and POST /api/softphone/settings (web/softphone.py): the signed-in agent's own
SIP account only, never cached, audited; the phone choice and auto-answer are validated and kept."""
from __future__ import annotations

from sqlalchemy import select

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401


def _agent_of(web_app, username):
    from records.models import Agent, User
    from web.extensions import db

    with web_app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return db.session.get(Agent, user.agent_id)


def test_the_agent_gets_only_their_own_account(web_app, client_for):
    alice, bob = _agent_of(web_app, "alice"), _agent_of(web_app, "bob")
    r = client_for("alice").get("/api/softphone?agent=" + bob.id)   # no way to name another agent
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body["authorization_user"] == alice.extension and body["password"] == alice.sip_password
    assert body["uri"].startswith(f"sip:{alice.extension}@")
    assert bob.sip_password not in r.get_data(as_text=True)
    assert body["phone"] == "sip" and body["auto_answer"] is False
    assert body["enabled"] is False            # softphone_wss_url is not set in the tests' config


def test_each_read_is_audited(web_app, client_for):
    from records.models import AuditLog
    from web.extensions import db

    client_for("alice").get("/api/softphone")
    with web_app.app_context():
        assert db.session.scalar(select(AuditLog).where(AuditLog.action == "softphone.credentials")) is not None


def test_settings_are_validated_and_kept(web_app, client_for):
    client = client_for("alice")
    assert client.post("/api/softphone/settings", json={"phone": "fax"}).status_code == 400
    assert client.post("/api/softphone/settings", json={"auto_answer": "yes"}).status_code == 400
    assert client.post("/api/softphone/settings", json=[1]).status_code == 400
    r = client.post("/api/softphone/settings", json={"phone": "browser", "auto_answer": True})
    assert r.status_code == 200 and r.get_json() == {"phone": "browser", "auto_answer": True}
    assert client.get("/api/softphone").get_json()["phone"] == "browser"
    assert client_for("bob").get("/api/softphone").get_json()["phone"] == "sip"   # only alice's changed


def test_a_user_without_an_agent_gets_nothing(client_for):
    assert client_for("supervisor").get("/api/softphone").status_code == 409
    assert client_for(None).get("/api/softphone").status_code in (401, 302)


def test_the_console_has_the_phone_panel_without_credentials(web_app, client_for):
    alice = _agent_of(web_app, "alice")
    page = client_for("alice").get("/agent/").get_data(as_text=True)
    assert 'id="softphone"' in page and "softphone.js" in page and "vendor/jssip/jssip.min.js" in page
    assert alice.sip_password not in page


def _available(client):
    r = client.post("/api/agent/state", json={"state": "available"})
    return r.status_code, (r.get_json() or {}).get("error", "")


def test_a_browser_phone_agent_is_available_only_while_registered(client_for, monkeypatch):
    import web.agent_states as states

    asked: list[str] = []

    def switch(reply):
        def api(host, port, password, command):
            asked.append(command)
            if isinstance(reply, Exception):
                raise reply
            return reply
        monkeypatch.setattr(states, "esl_api", api)

    client = client_for("alice")
    switch(AssertionError("a desk-phone agent is not checked"))
    assert "browser phone" not in _available(client)[1]
    client.post("/api/softphone/settings", json={"phone": "browser"})
    switch("error/user_not_registered")
    status, error = _available(client)
    assert status == 409 and "browser phone is not connected" in error
    assert asked[-1].startswith("sofia_contact webrtc/")
    switch(OSError("refused"))
    status, error = _available(client)
    assert status == 409 and "cannot be reached" in error
    switch("sofia/webrtc/sip:1001@127.0.0.1:51234;transport=ws")
    assert "browser phone" not in _available(client)[1]     # registered: the state machine decides


def test_phone_offline_is_a_configured_not_ready_reason(web_app):
    from web.reasons import configured_reasons

    with web_app.app_context():
        assert "phone_offline" in [r.code for r in configured_reasons()["not_ready"]]


def test_the_console_may_open_the_websocket_to_the_switch_only_when_configured(web_app, client_for):
    csp = client_for("alice").get("/agent/").headers["Content-Security-Policy"]
    assert "connect-src" not in csp                            # default-src 'self' only
    web_app.config["HOTLINE"] = web_app.config["HOTLINE"].replace(softphone_wss_url="wss://pbx.example.com:7443")
    csp = client_for("alice").get("/agent/").headers["Content-Security-Policy"]
    assert "connect-src 'self' wss://pbx.example.com:7443;" in csp and "script-src 'self';" in csp

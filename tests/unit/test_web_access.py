"""Access rules beyond the role x endpoint matrix (which is tests/unit/test_access_matrix.py)."""
from __future__ import annotations

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401


def test_agents_events_of_other_agents_need_supervisor(client_for):
    assert client_for("alice").get("/agent/events?agent=bob").status_code == 403


def test_agent_state_api_moves_live_state_and_publishes(web_app, client_for):
    from control.domain.models import Agent, AgentState

    store, pub = web_app.config["LIVE_STATE"], web_app.config["PUBLISHER"]
    store.put_agent(Agent(id="alice", extension="1001"))
    alice = client_for("alice")
    assert alice.post("/api/agent/state", json={"state": "available"}).status_code == 200
    assert store.get_agent("alice").state == AgentState.AVAILABLE
    assert alice.post("/api/agent/state", json={"state": "break"}).status_code == 400   # no reason
    assert alice.post("/api/agent/state", json={"state": "break", "reason": "lunch"}).status_code == 200
    assert store.get_agent("alice").break_reason == "lunch"
    assert alice.post("/api/agent/state", json={"state": "on_call"}).status_code == 400
    channels = [c for c, m in pub.messages if m["type"] == "state"]
    assert channels == ["agent:alice", "wallboard", "agent:alice", "wallboard"]
    # an agent unknown to the controller, and a user who is not an agent
    assert client_for("bob").post("/api/agent/state", json={"state": "available"}).status_code == 409
    assert client_for("supervisor").post("/api/agent/state", json={"state": "available"}).status_code == 409


def test_disposition_only_for_own_calls(web_app, client_for):
    from records.models import Call
    from web.extensions import db

    with web_app.app_context():
        db.session.add(Call(call_id="bobs-call", agent_id="bob", ivr_path=[], offers=[], explanations=[]))
        db.session.commit()
    assert client_for("alice").post("/api/calls/bobs-call/disposition",
                                    json={"disposition": "x"}).status_code == 403
    assert client_for("bob").post("/api/calls/bobs-call/disposition",
                                  json={"disposition": "x"}).status_code == 200
    assert client_for("supervisor").post("/api/calls/bobs-call/disposition",
                                         json={"disposition": "y"}).status_code == 200

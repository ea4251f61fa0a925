"""Role x endpoint access matrix: agent < supervisor < admin, and every route declares a role."""
from __future__ import annotations

import time

import pytest

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401

# (method, path, json body or None, least role)
ENDPOINTS = [
    ("GET", "/agent/", None, "agent"),
    ("GET", "/supervisor/", None, "supervisor"),
    ("GET", "/supervisor/wallboard.json", None, "supervisor"),
    ("GET", "/supervisor/events", None, "supervisor"),      # the generator is not read: no Redis needed
    # wallboard actions (set up in test_access_matrix: alice is on c-live, bob available, c-wait queued)
    ("POST", "/api/supervisor/agents/alice/supervise", {"mode": "listen", "extension": "1009"}, "supervisor"),
    ("POST", "/api/supervisor/agents/bob/state", {"state": "not_ready"}, "supervisor"),
    ("POST", "/api/supervisor/calls/c-wait/queue", {"queue": "support"}, "supervisor"),
    ("POST", "/api/supervisor/calls/c-wait/priority", {"priority": 20}, "supervisor"),
    ("GET", "/admin/users", None, "admin"),
    ("GET", "/admin/agents", None, "admin"),
    ("GET", "/admin/queues", None, "admin"),
    ("GET", "/admin/audit", None, "admin"),
    ("GET", "/api/customers/+14155550100", None, "agent"),
    ("POST", "/api/customers", {"name": "New", "number": "+14155550999"}, "agent"),
    ("POST", "/api/interactions", {"customer_id": 1, "channel": "chat", "summary": "hi"}, "agent"),
    ("POST", "/api/tickets", {"customer_id": 1, "subject": "s"}, "agent"),
    ("POST", "/api/notes", {"customer_id": 1, "text": "t"}, "agent"),
    ("POST", "/api/calls/c-1/disposition", {"disposition": "resolved"}, "agent"),
    # console: call actions (on a live call of alice's, see live_call), quick actions, knowledge base
    ("POST", "/api/calls/c-live/hold", {}, "agent"),
    ("POST", "/api/calls/c-live/unhold", None, "agent"),
    ("POST", "/api/calls/c-live/hangup", {}, "agent"),
    ("POST", "/api/calls/c-live/transfer", {"to": "queue", "target": "support", "kind": "blind"}, "agent"),
    ("POST", "/api/calls/c-live/transfer/complete", {}, "agent"),
    ("POST", "/api/calls/c-live/transfer/cancel", None, "agent"),
    ("POST", "/api/calls/c-1/follow-up", {"subject": "call back with the refund id"}, "agent"),
    ("POST", "/api/callbacks", {"number": "+14155550100", "due_at": time.time() + 3600}, "agent"),
    ("GET", "/callbacks/", None, "agent"),
    ("GET", "/callbacks/list.json", None, "agent"),
    ("POST", "/api/callbacks/999/cancel", {}, "agent"),              # no such row (tests/unit/test_web_callbacks.py)
    ("POST", "/api/callbacks/live/cb-gone/cancel", None, "agent"),   # not waiting
    ("GET", "/api/kb/suggest?queue=billing&ivr=billing", None, "agent"),
    ("GET", "/api/kb/refund-double-charge", None, "agent"),
    ("GET", "/admin/import", None, "admin"),
    ("POST", "/admin/import", None, "admin"),     # no file: the form again (400), see below
    ("GET", "/admin/card", None, "admin"),
    ("GET", "/admin/flows/", None, "admin"),
    ("GET", "/admin/flows/main", None, "admin"),
    # reports (supervisor and up), failed jobs (admin)
    ("GET", "/reports/", None, "supervisor"),
    ("GET", "/reports/export.csv", None, "supervisor"),
    ("GET", "/reports/calls?bucket=2026-11-23T00:00:00&key=support", None, "supervisor"),
    ("GET", "/reports/calls/c-1", None, "supervisor"),
    ("GET", "/reports/calls/c-1/recording", None, "supervisor"),
    ("GET", "/reports/agents", None, "supervisor"),
    ("GET", "/reports/failed-jobs", None, "admin"),
    ("POST", "/reports/failed-jobs/nope/retry", None, "admin"),
]
AUTHORIZED_BUT_ABSENT = {"/reports/calls/c-1": 404, "/reports/calls/c-1/recording": 404,
                         "/api/callbacks/999/cancel": 404, "/api/callbacks/live/cb-gone/cancel": 404,
                         "/reports/failed-jobs": 503, "/reports/failed-jobs/nope/retry": 503}
USERS = {"anonymous": None, "agent": "alice", "supervisor": "supervisor", "admin": "admin"}
LEVEL = {"anonymous": 0, "agent": 1, "supervisor": 2, "admin": 3}
PUBLIC = {"static", "auth.login", "health.healthz", "index"}


@pytest.mark.parametrize("who", list(USERS))
@pytest.mark.parametrize("method,path,body,least", ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
def test_access_matrix(web_app, client_for, who, method, path, body, least):
    from control.domain.models import Agent, AgentState, Call, CallState

    store = web_app.config["LIVE_STATE"]
    store.put_call(Call(id="c-live", caller="+14155550100", did="+18005550100", queue="billing", agent_id="alice"))
    store.put_agent(Agent(id="alice", extension="1001", state=AgentState.ON_CALL, call_id="c-live"))
    store.put_agent(Agent(id="bob", extension="1002", state=AgentState.AVAILABLE))
    store.put_call(Call(id="c-wait", caller="+14155550101", did="+18005550100", queue="billing",
                        state=CallState.QUEUED))
    client = client_for(USERS[who])
    response = client.open(path, method=method, json=body)
    if who == "anonymous":
        expected = 401 if path.startswith("/api/") else 302
        assert response.status_code == expected
        if expected == 302:
            assert "/login" in response.location
    elif LEVEL[who] < LEVEL[least]:
        assert response.status_code == 403
    elif path in AUTHORIZED_BUT_ABSENT:
        # allowed in; the call does not exist / Redis is absent in this app (integration tests cover the rest)
        assert response.status_code == AUTHORIZED_BUT_ABSENT[path]
    elif (method, path) == ("POST", "/admin/import"):
        assert response.status_code == 400 and b"Choose a CSV file" in response.data
    else:
        assert response.status_code in (200, 201, 202), response.get_data(as_text=True)[:300]


def test_the_matrix_covers_every_route(web_app):
    """A new route must be added to ENDPOINTS (or be public, or the SSE stream tested on its own)."""
    import re

    covered = {re.sub(r"\?.*", "", p) for _, p, _, _ in ENDPOINTS}
    untested = []
    for rule in web_app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint in ("auth.logout", "agent.events", "api.set_agent_state"):
            continue
        pattern = "^" + re.sub(r"<[^>]+>", "[^/]+", rule.rule) + "$"
        if not any(re.match(pattern, p) for p in covered):
            untested.append(rule.rule)
    assert untested == []


def test_every_route_declares_a_role(web_app):
    missing = []
    for rule in web_app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint == "auth.logout":
            continue
        view = web_app.view_functions[rule.endpoint]
        if not hasattr(view, "required_role"):
            missing.append(rule.rule)
    assert missing == []


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

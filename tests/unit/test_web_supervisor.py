"""Wallboard snapshot and supervisor actions on MemoryState / MemoryPublisher: what is published,
what is audited, and the 4xx answers to bad input."""
from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401


@pytest.fixture
def live(web_app):
    from control.domain.models import Agent, AgentState, Call, CallState

    store = web_app.config["LIVE_STATE"]
    now = time.time()
    store.put_agent(Agent(id="alice", extension="1001", queues=["billing"], state=AgentState.ON_CALL,
                          call_id="c-talk", state_since=now - 30))
    store.put_agent(Agent(id="bob", extension="1002", queues=["billing"], state=AgentState.AVAILABLE))
    store.put_agent(Agent(id="carol", extension="1003", queues=["vip"], state=AgentState.WRAP_UP))
    store.put_call(Call(id="c-talk", caller="+14155550100", did="+18005550100", queue="billing",
                        state=CallState.CONNECTED, agent_id="alice"))
    store.put_call(Call(id="c-wait", caller="+14155550101", did="+18005550100", queue="billing",
                        state=CallState.QUEUED, entered_at=now - 45, priority=1))
    return store


def published(web_app, channel, kind):
    return [m for c, m in web_app.config["PUBLISHER"].messages if c == channel and m.get("type") == kind]


def audit_rows(web_app, action):
    from records.models import AuditLog
    from web.extensions import db

    with web_app.app_context():
        return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_snapshot_has_queues_agents_callers_and_alerts(web_app, client_for, live):
    board = client_for("supervisor").get("/supervisor/wallboard.json").get_json()
    billing = next(q for q in board["queues"] if q["name"] == "billing")
    assert billing["waiting"] == 1 and billing["longest_wait_s"] >= 45
    assert billing["agents"] == {"on_call": 1, "available": 1}
    alice = next(a for a in board["agents"] if a["id"] == "alice")
    assert alice["caller"] == "+14155550100" and alice["on_call"] and alice["since_s"] >= 30
    assert any("billing" in text and "45" in text for text in board["alerts"])   # over service_level_s (20)
    assert board["waiting"][0]["call_id"] == "c-wait"


def test_each_queue_brings_its_own_alert_thresholds(client_for, live):
    """support's YAML sets alerts:; billing sets none and gets its service level settings and 10 %."""
    board = client_for("supervisor").get("/supervisor/wallboard.json").get_json()
    limits = {q["name"]: q["alert_limits"] for q in board["queues"]}
    assert limits["support"] == {"service_level_below": 0.8, "longest_wait_s": 30, "abandon_rate_above": 0.08}
    assert limits["billing"] == {"service_level_below": 0.8, "longest_wait_s": 20, "abandon_rate_above": 0.1}


def test_snapshot_has_todays_figures_from_the_call_records(web_app, client_for, live):
    from records.models import Call
    from web.extensions import db

    web_app.config["WALLBOARD_KPI_CACHE_S"] = 0
    now = datetime.now(timezone.utc)
    with web_app.app_context():
        db.session.add_all([
            Call(call_id="k1", queue="support", entered_at=now, answered_at=now, wait_s=10, talk_s=100,
                 outcome="answered", ivr_path=[], offers=[], explanations=[]),
            Call(call_id="k2", queue="support", entered_at=now, answered_at=now, wait_s=50, talk_s=200,
                 outcome="answered", ivr_path=[], offers=[], explanations=[]),
            Call(call_id="k3", queue="support", entered_at=now, wait_s=60, outcome="abandoned",
                 ivr_path=[], offers=[], explanations=[]),
        ])
        db.session.commit()
    board = client_for("supervisor").get("/supervisor/wallboard.json").get_json()
    today = next(q for q in board["queues"] if q["name"] == "support")["today"]
    assert today["offered"] == 3 and today["answered"] == 2
    assert today["service_level"] == pytest.approx(1 / 3, abs=1e-3)
    assert today["abandon_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert today["asa_s"] == 30 and today["aht_s"] == 150
    texts = " ".join(board["alerts"])
    assert "support: service level 33%" in texts and "support: abandon rate 33%" in texts


def test_wallboard_page_has_no_inline_script_and_the_action_urls(client_for, live):
    html = client_for("supervisor").get("/supervisor/").get_data(as_text=True)
    assert "wallboard.js" in html and 'http-equiv="refresh"' not in html
    assert "/api/supervisor/agents/AGENT/supervise" in html
    for chunk in html.split("<script")[1:]:
        assert 'type="application/json"' in chunk.split(">")[0] or "src=" in chunk.split(">")[0]


def register_extension(web_app, extension: str | None, username: str = "supervisor") -> None:
    from records.models import User
    from web.extensions import db

    with web_app.app_context():
        db.session.scalar(select(User).where(User.username == username)).monitor_extension = extension
        db.session.commit()


def test_listen_publishes_supervise_on_control_and_audits(web_app, client_for, live):
    register_extension(web_app, "1009")
    response = client_for("supervisor").post("/api/supervisor/agents/alice/supervise",
                                             json={"mode": "whisper", "extension": "1009"})
    assert response.status_code == 202, response.get_json()
    assert published(web_app, "control", "supervise") == [
        {"type": "supervise", "agent_id": "alice", "extension": "1009", "mode": "whisper",
         "supervisor": "supervisor", "supervisor_agent": None}]
    row, = audit_rows(web_app, "agent.whisper")
    assert row.who == "supervisor" and row.target == "agent:alice" and row.details["call_id"] == "c-talk"


def test_supervise_uses_the_supervisors_own_phone_when_linked(web_app, client_for, live):
    from records.models import User
    from web.extensions import db

    with web_app.app_context():
        user = db.session.scalar(select(User).where(User.username == "supervisor"))
        user.agent_id = "dave"           # a seeded agent with its own extension
        db.session.commit()
        from records.models import Agent
        extension = db.session.get(Agent, "dave").extension
    response = client_for("supervisor").post("/api/supervisor/agents/alice/supervise", json={"mode": "barge"})
    assert response.status_code == 202
    assert published(web_app, "control", "supervise")[0]["extension"] == extension
    assert published(web_app, "control", "supervise")[0]["supervisor_agent"] == "dave"


@pytest.mark.parametrize("agent,body,status,words", [
    ("nobody", {"mode": "listen", "extension": "1009"}, 404, "no such agent"),
    ("bob", {"mode": "listen", "extension": "1009"}, 409, "not on a call"),
    ("alice", {"mode": "spy", "extension": "1009"}, 400, "mode must be one of"),
    ("alice", {"mode": "listen", "extension": "1009@evil;x"}, 403, "only from your own registered extension"),
    ("alice", {"mode": "listen", "extension": "1002"}, 403, "only from your own registered extension"),
])
def test_supervise_refuses_bad_input(web_app, client_for, live, agent, body, status, words):
    register_extension(web_app, "1009")
    response = client_for("supervisor").post(f"/api/supervisor/agents/{agent}/supervise", json=body)
    assert response.status_code == status and words in response.get_json()["error"]
    assert published(web_app, "control", "supervise") == []


def test_force_state_goes_through_the_state_machine_and_dispatches(web_app, client_for, live):
    from control.domain.models import AgentState

    sup = client_for("supervisor")
    response = sup.post("/api/supervisor/agents/carol/state", json={"state": "available"})
    assert response.status_code == 200, response.get_json()
    assert live.get_agent("carol").state == AgentState.AVAILABLE
    assert published(web_app, "control", "dispatch")
    assert published(web_app, "agent:carol", "state")[0]["forced_by"] == "supervisor"
    assert published(web_app, "wallboard", "state")
    row, = audit_rows(web_app, "agent.force_state")
    assert row.details == {"previous": "wrap_up", "state": "available", "reason": None}
    assert sup.post("/api/supervisor/agents/bob/state", json={"state": "break", "reason": "lunch"}).status_code == 200
    assert live.get_agent("bob").break_reason == "lunch"


@pytest.mark.parametrize("agent,body,status,words", [
    ("nobody", {"state": "available"}, 404, "no such agent"),
    ("alice", {"state": "available"}, 409, "wait until the call ends"),
    ("bob", {"state": "on_call"}, 400, "state must be one of"),
    ("bob", {"state": "break"}, 400, "needs a reason"),
])
def test_force_state_refuses_bad_input(web_app, client_for, live, agent, body, status, words):
    response = client_for("supervisor").post(f"/api/supervisor/agents/{agent}/state", json=body)
    assert response.status_code == status and words in response.get_json()["error"]
    assert published(web_app, "control", "dispatch") == []


def test_move_a_waiting_call_keeps_its_place_and_dispatches(web_app, client_for, live):
    before = live.get_call("c-wait")
    response = client_for("supervisor").post("/api/supervisor/calls/c-wait/queue", json={"queue": "support"})
    assert response.status_code == 200, response.get_json()
    after = live.get_call("c-wait")
    assert after.queue == "support" and after.entered_at == before.entered_at and after.seq == before.seq
    assert published(web_app, "control", "dispatch") and published(web_app, "wallboard", "moved")
    row, = audit_rows(web_app, "call.moved")
    assert row.target == "call:c-wait" and row.details == {"previous": "billing", "queue": "support"}


def test_priority_of_a_waiting_call(web_app, client_for, live):
    response = client_for("supervisor").post("/api/supervisor/calls/c-wait/priority", json={"priority": 50})
    assert response.status_code == 200
    assert live.get_call("c-wait").priority == 50
    assert published(web_app, "control", "dispatch")
    row, = audit_rows(web_app, "call.priority")
    assert row.details == {"previous": 1, "priority": 50}


def test_an_offering_call_keeps_its_reservation(web_app, client_for, live):
    from control.domain.models import CallState

    assert live.reserve("c-wait", "bob", "ctl-1", 15.0, time.time())
    assert client_for("supervisor").post("/api/supervisor/calls/c-wait/priority",
                                         json={"priority": 5}).status_code == 200
    call = live.get_call("c-wait")
    assert call.priority == 5 and call.state == CallState.OFFERING and call.agent_id == "bob"


@pytest.mark.parametrize("path,body,status,words", [
    ("/api/supervisor/calls/c-wait/queue", {"queue": "nowhere"}, 404, "no such queue"),
    ("/api/supervisor/calls/c-wait/queue", {"queue": "billing"}, 409, "already in billing"),
    ("/api/supervisor/calls/c-gone/queue", {"queue": "support"}, 404, "no such call"),
    ("/api/supervisor/calls/c-talk/queue", {"queue": "support"}, 409, "not waiting"),
    ("/api/supervisor/calls/c-wait/priority", {"priority": "high"}, 400, "must be an integer"),
    ("/api/supervisor/calls/c-wait/priority", {"priority": 2.5}, 400, "must be an integer"),
    ("/api/supervisor/calls/c-wait/priority", {"priority": True}, 400, "must be an integer"),
    ("/api/supervisor/calls/c-wait/priority", {"priority": 10**9}, 400, "must be an integer"),
    ("/api/supervisor/calls/c-gone/priority", {"priority": 3}, 404, "no such call"),
])
def test_call_actions_refuse_bad_input(web_app, client_for, live, path, body, status, words):
    response = client_for("supervisor").post(path, json=body)
    assert response.status_code == status and words in response.get_json()["error"]
    assert published(web_app, "control", "dispatch") == []
    assert live.get_call("c-wait").queue == "billing" and live.get_call("c-wait").priority == 1


def test_a_body_must_be_a_json_object(client_for, live):
    response = client_for("supervisor").post("/api/supervisor/calls/c-wait/priority", data="5",
                                             content_type="application/json")
    assert response.status_code == 400


def test_supervise_needs_a_registered_extension(web_app, client_for, live):
    """Before: any extension in the body was rung, e.g. another agent's phone (bob's 1002)."""
    response = client_for("supervisor").post("/api/supervisor/agents/alice/supervise",
                                             json={"mode": "listen", "extension": "1002"})
    assert response.status_code == 409 and "no registered monitoring extension" in response.get_json()["error"]
    assert published(web_app, "control", "supervise") == []


# ``show registrations as json`` of a switch with alice's browser phone (webrtc) and carol's desk
# phone (internal); bob has none.
REGISTRATIONS = ('{"row_count":2,"rows":[{"reg_user":"1001","realm":"hotline.test","token":"t1",'
                 '"url":"sofia/webrtc/sip:1001@192.0.2.7:50612;transport=ws;fs_nat=yes","expires":"1700000100",'
                 '"network_ip":"192.0.2.7","network_port":"50612","network_proto":"tcp","hostname":"pbx",'
                 '"metadata":""},{"reg_user":"1003","realm":"hotline.test","token":"t2",'
                 '"url":"sofia/internal/sip:1003@192.0.2.8:5060","expires":"1700000100","network_ip":"192.0.2.8",'
                 '"network_port":"5060","network_proto":"udp","hostname":"pbx","metadata":""}]}')


def test_each_agent_shows_their_phone_and_its_registration(web_app, client_for, live, monkeypatch):
    """alice chose the browser and it is registered on webrtc; bob's desk phone is not registered;
    carol's desk phone is (internal). A desk phone registered on webrtc would not count, nor the reverse."""
    from records.models import Agent
    from web import phones
    from web.extensions import db

    with web_app.app_context():
        db.session.get(Agent, "alice").phone = "browser"
        db.session.commit()
    asked = []
    monkeypatch.setattr(phones, "esl_api", lambda *a, **kw: (asked.append(a[-1]), REGISTRATIONS)[1])
    board = client_for("supervisor").get("/supervisor/wallboard.json").get_json()
    got = {a["id"]: (a["phone"], a["registered"]) for a in board["agents"]}
    assert got == {"alice": ("browser", True), "bob": ("sip", False), "carol": ("sip", True)}
    client_for("supervisor").get("/supervisor/wallboard.json")
    assert asked == ["show registrations as json"]                # cached: one question per few seconds
    assert phones.phone_of("browser", {"internal"}, True)["registered"] is False
    assert phones.phone_of("sip", {"webrtc"}, True)["registered"] is False


def test_a_switch_that_cannot_be_asked_leaves_the_registration_unknown(web_app, client_for, live, monkeypatch):
    from web import phones

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("no switch")

    monkeypatch.setattr(phones, "esl_api", refuse)
    board = client_for("supervisor").get("/supervisor/wallboard.json").get_json()
    assert {a["registered"] for a in board["agents"]} == {None}

"""The Callbacks page and its cancel routes (web/callbacks.py, web/callbacks_api.py)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401

NUMBER = "+14155550100"


def waiting_callback(store, call_id="cb-orig-1", queue="support", row_id=None, state=None, agent_id=None):
    from control.domain.models import Call, CallState

    info = {"number": NUMBER, "original_call_id": call_id[3:], "attempts": 1, "row_id": row_id}
    store.put_call(Call(id=call_id, caller=NUMBER, did="+18005550100", queue=queue, kind="callback",
                        state=state or CallState.QUEUED, entered_at=time.time() - 90, agent_id=agent_id,
                        vars={"callback": info, "customer_name": "Ann Lee"}))
    return call_id


def schedule(client, **extra):
    body = {"number": NUMBER, "due_at": time.time() + 3600, "note": "invoice", **extra}
    response = client.post("/api/callbacks", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_supervisor_sees_waiting_deferred_scheduled_with_whole_numbers(web_app, client_for):
    from control.domain.models import AgentState, Call, CallState

    store = web_app.config["LIVE_STATE"]
    store.put_call(Call(id="c-ahead", caller="+14155550999", did="+18005550100", queue="support",
                        state=CallState.QUEUED, entered_at=time.time() - 200))
    waiting_callback(store)
    deferred = store.get_call(waiting_callback(store, "cb-orig-2"))
    store.defer(deferred, time.time() + 300, None, AgentState.AVAILABLE, time.time())
    row_id = schedule(client_for("alice"), customer_id=1)
    data = client_for("supervisor").get("/callbacks/list.json").get_json()
    by_id = {c["call_id"]: c for c in data["waiting"]}
    assert set(by_id) == {"cb-orig-1", "cb-orig-2"}                       # the plain caller is not listed
    queued, retry = by_id["cb-orig-1"], by_id["cb-orig-2"]
    assert queued["number"] == NUMBER and queued["position"] == 2 and queued["waited_s"] >= 90
    assert queued["state"] == "queued" and queued["attempts"] == 1 and queued["can_cancel"] is True
    assert retry["state"] == "ivr" and retry["position"] is None and retry["retry_at"] > time.time()
    [row] = data["scheduled"]
    assert row["id"] == row_id and row["number"] == NUMBER and row["created_by"] == "alice"
    assert row["note"] == "invoice" and row["customer"] and row["can_cancel"] is True
    assert row["due_local"] and data["timezone"]
    page = client_for("supervisor").get("/callbacks/")
    assert page.status_code == 200 and b"callbacks.js" in page.data


def test_due_time_is_shown_in_the_business_time_zone(web_app, client_for):
    web_app.config["HOTLINE"] = web_app.config["HOTLINE"].replace(timezone="Asia/Shanghai")
    due = datetime(2030, 1, 2, 1, 30, tzinfo=timezone.utc)
    from records.card_models import Callback
    from web.extensions import db

    with web_app.app_context():
        db.session.add(Callback(number=NUMBER, due_at=due, status="scheduled", details={}))
        db.session.commit()
    [row] = client_for("supervisor").get("/callbacks/list.json").get_json()["scheduled"]
    assert row["due_local"].startswith("2030-01-02 09:30")


def test_agents_see_their_own_and_their_queues_masked(web_app, client_for):
    store = web_app.config["LIVE_STATE"]
    waiting_callback(store, "cb-support", queue="support")     # alice is in billing and support
    waiting_callback(store, "cb-sales", queue="sales")         # bob's queue, not alice's
    mine = schedule(client_for("alice"), queue="sales")
    theirs = schedule(client_for("bob"), queue="sales")
    data = client_for("alice").get("/callbacks/list.json").get_json()
    assert [c["call_id"] for c in data["waiting"]] == ["cb-support"]
    assert data["waiting"][0]["number"] == "•" * (len(NUMBER) - 4) + NUMBER[-4:]
    assert data["waiting"][0]["can_cancel"] is False          # a caller's request: supervisors cancel it
    assert [r["id"] for r in data["scheduled"]] == [mine] and theirs != mine
    assert data["scheduled"][0]["number"].endswith(NUMBER[-4:]) and NUMBER not in str(data)
    page = client_for("alice").get("/callbacks/")
    assert page.status_code == 200 and NUMBER.encode() not in page.data


def test_cancel_a_scheduled_row_is_audited_and_told_to_the_controllers(web_app, client_for):
    from records.card_models import Callback
    from records.models import AuditLog
    from web.extensions import db

    row_id = schedule(client_for("alice"))
    assert client_for("bob").post(f"/api/callbacks/{row_id}/cancel", json={}).status_code == 403
    response = client_for("alice").post(f"/api/callbacks/{row_id}/cancel", json={})
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert client_for("alice").post(f"/api/callbacks/{row_id}/cancel").status_code == 409
    with web_app.app_context():
        row = db.session.get(Callback, row_id)
        assert row.status == "cancelled" and row.details["cancelled_by"] == "alice"
        entries = db.session.query(AuditLog).filter_by(action="callback.cancel").all()
        assert [(e.who, e.target) for e in entries] == [("alice", f"callback:{row_id}")]
    sent = [m for c, m in web_app.config["PUBLISHER"].messages if c == "control" and m["type"] == "callback_cancel"]
    assert [m["call_id"] for m in sent] == [f"cb-row-{row_id}"]
    data = client_for("supervisor").get("/callbacks/list.json").get_json()
    assert data["scheduled"] == []
    assert [(f["id"], f["result"], f["cancelled_by"]) for f in data["finished"]] == [(row_id, "cancelled", "alice")]


def test_cancel_a_waiting_call_asks_the_controller(web_app, client_for):
    store, pub = web_app.config["LIVE_STATE"], web_app.config["PUBLISHER"]
    call_id = waiting_callback(store)
    assert client_for("alice").post(f"/api/callbacks/live/{call_id}/cancel").status_code == 403   # not hers
    response = client_for("supervisor").post(f"/api/callbacks/live/{call_id}/cancel", json={})
    assert response.status_code == 202
    [sent] = [m for c, m in pub.messages if c == "control" and m["type"] == "callback_cancel"]
    assert sent["call_id"] == call_id and sent["by"] == "supervisor"
    assert sent["request_id"] == response.get_json()["request_id"]
    assert client_for("supervisor").post("/api/callbacks/live/c-plain/cancel").status_code == 400


def test_an_agent_may_cancel_the_call_of_a_row_they_scheduled(web_app, client_for):
    store = web_app.config["LIVE_STATE"]
    row_id = schedule(client_for("alice"))
    call_id = waiting_callback(store, f"cb-row-{row_id}", row_id=row_id)
    listed = client_for("alice").get("/callbacks/list.json").get_json()["waiting"]
    assert [(c["call_id"], c["can_cancel"]) for c in listed] == [(call_id, True)]
    assert client_for("bob").post(f"/api/callbacks/live/{call_id}/cancel").status_code == 403
    assert client_for("alice").post(f"/api/callbacks/live/{call_id}/cancel").status_code == 202


def test_refused_politely_when_an_agent_is_already_ringing(web_app, client_for):
    from control.domain.models import CallState

    store, pub = web_app.config["LIVE_STATE"], web_app.config["PUBLISHER"]
    call_id = waiting_callback(store, state=CallState.OFFERING, agent_id="bob")
    response = client_for("supervisor").post(f"/api/callbacks/live/{call_id}/cancel")
    assert response.status_code == 409 and "already calling" in response.get_json()["error"]
    assert not [m for c, m in pub.messages if c == "control"]
    listed = client_for("supervisor").get("/callbacks/list.json").get_json()["waiting"]
    assert listed[0]["can_cancel"] is False and listed[0]["state"] == "offering"


def test_finished_lists_caller_requests_from_call_records_with_a_timeline_link(web_app, client_for):
    from records.models import Call as CallRecord
    from web.extensions import db

    ended = datetime.now(timezone.utc) - timedelta(hours=1)
    with web_app.app_context():
        db.session.add(CallRecord(call_id="cb-orig-9", caller=NUMBER, queue="support", outcome="answered",
                                  ended_at=ended, explanations=[{"kind": "callback_attempt", "attempt": 1}]))
        db.session.add(CallRecord(call_id="cb-orig-8", caller=NUMBER, queue="sales", outcome="failed",
                                  ended_at=ended, explanations=[{"kind": "callback_cancelled", "by": "supervisor"}]))
        db.session.commit()
    data = client_for("supervisor").get("/callbacks/list.json").get_json()
    found = {f["call_id"]: f for f in data["finished"]}
    assert found["cb-orig-9"]["result"] == "answered" and found["cb-orig-9"]["timeline"] is True
    assert found["cb-orig-9"]["attempts"] == 1
    assert found["cb-orig-8"]["result"] == "cancelled" and found["cb-orig-8"]["cancelled_by"] == "supervisor"
    agent_view = client_for("alice").get("/callbacks/list.json").get_json()["finished"]
    assert [(f["call_id"], f["timeline"]) for f in agent_view] == [("cb-orig-9", False)]   # sales: not alice's


def test_the_page_is_in_the_nav_and_translated(web_app, client_for):
    page = client_for("dave").get("/callbacks/")                # dave's locale is zh
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'href="/callbacks/"' in text
    assert "回电" in text and "Waiting in queues" not in text

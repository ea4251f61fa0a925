"""The console during and after the call: call actions on the control channel, quick actions,
wrap-up dispositions per queue, history from other channels, knowledge base, admin import and
card layouts, and hostile input."""
from __future__ import annotations

import io
import json
import time

import pytest
from sqlalchemy import select

from control.domain.models import Call as LiveCall
from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401


def live_call(app, call_id="c-live", agent="alice", queue="billing"):
    app.config["LIVE_STATE"].put_call(LiveCall(id=call_id, caller="+14155550100", did="+18005550100",
                                               queue=queue, agent_id=agent))


def control_messages(app):
    return [m for c, m in app.config["PUBLISHER"].messages if c == "control"]


def rows(app, model, *where):
    from web.extensions import db

    with app.app_context():
        return db.session.scalars(select(model).where(*where)).all()


@pytest.mark.parametrize("action", ["hold", "unhold", "hangup"])
def test_call_actions_publish_on_the_control_channel(web_app, client_for, action):
    live_call(web_app)
    response = client_for("alice").post(f"/api/calls/c-live/{action}", json={})
    assert response.status_code == 202
    [message] = control_messages(web_app)
    assert {k: message[k] for k in ("type", "action", "call_id", "by", "agent_id")} == {
        "type": "call_action", "action": action, "call_id": "c-live", "by": "alice", "agent_id": "alice"}
    from records.models import AuditLog

    assert [a.target for a in rows(web_app, AuditLog, AuditLog.action == f"call.{action}")] == ["call:c-live"]


def test_only_the_agent_on_the_call_or_a_supervisor_acts_on_it(web_app, client_for):
    live_call(web_app, agent="bob")
    assert client_for("alice").post("/api/calls/c-live/hangup", json={}).status_code == 403
    assert client_for("supervisor").post("/api/calls/c-live/hangup", json={}).status_code == 202
    assert client_for("alice").post("/api/calls/gone/hold", json={}).status_code == 409
    assert client_for("alice").post("/api/calls/bad%20id/hold", json={}).status_code == 400
    assert client_for("alice").post("/api/calls/c-live/hold", data="[1]",
                                    content_type="application/json").status_code == 400
    assert [m["by"] for m in control_messages(web_app)] == ["supervisor"]


@pytest.mark.parametrize("body,status,target", [
    ({"to": "agent", "target": "bob", "kind": "attended"}, 202, "bob"),
    ({"to": "queue", "target": "support"}, 202, "support"),
    ({"to": "external", "target": "(415) 555-0199"}, 202, "+14155550199"),
    ({"to": "external", "target": "12"}, 400, None),
    ({"to": "agent", "target": "nobody"}, 404, None),
    ({"to": "queue", "target": "nowhere"}, 404, None),
    ({"to": "agent", "target": "bob; rm -rf"}, 400, None),
    ({"to": "moon", "target": "bob"}, 400, None),
    ({"to": "agent", "target": "bob", "kind": "warm"}, 400, None),
])
def test_transfer_targets_are_checked(web_app, client_for, body, status, target):
    live_call(web_app)
    response = client_for("alice").post("/api/calls/c-live/transfer", json=body)
    assert response.status_code == status, response.get_json()
    if status == 202:
        [message] = control_messages(web_app)
        assert message["target"] == target and message["to"] == body["to"]
        assert message["kind"] == body.get("kind", "blind") and message["action"] == "transfer"
    else:
        assert control_messages(web_app) == []


def test_follow_up_marks_the_call_facts(web_app, client_for):
    from records.wrapup_models import CallFacts

    alice = client_for("alice")
    assert alice.post("/api/calls/c-9/follow-up", json={"subject": "send the refund id"}).status_code == 201
    [facts] = rows(web_app, CallFacts, CallFacts.call_id == "c-9")
    assert facts.follow_up and facts.follow_up_subject == "send the refund id" and facts.follow_up_by


def test_callbacks_are_scheduled_in_the_future_only(web_app, client_for):
    from records.card_models import Callback

    alice = client_for("alice")
    soon = time.time() + 3600
    ok = alice.post("/api/callbacks", json={"number": "415 555 0100", "due_at": soon, "customer_id": 1,
                                            "call_id": "c-1", "note": "after 5pm"})
    assert ok.status_code == 201 and ok.get_json()["number"] == "+14155550100"
    iso = alice.post("/api/callbacks", json={"number": "+14155550100", "due_at": "2099-01-01T10:00:00Z"})
    assert iso.status_code == 400                                   # beyond 90 days
    for bad in ({"number": "+14155550100", "due_at": time.time() - 86400},
                {"number": "+14155550100", "due_at": "tomorrow"},
                {"number": "anonymous", "due_at": soon},
                {"number": "+14155550100", "due_at": soon, "customer_id": 999}):
        assert alice.post("/api/callbacks", json=bad).status_code in (400, 404), bad
    [row] = rows(web_app, Callback)
    assert row.customer_id == 1 and row.status == "scheduled" and row.note == "after 5pm"


def test_disposition_must_be_one_of_the_queue_codes(web_app, client_for):
    alice = client_for("alice")
    assert alice.post("/api/calls/c-5/disposition", json={"disposition": "chatted", "queue": "billing"}
                      ).status_code == 400
    assert alice.post("/api/calls/c-5/disposition", json={"disposition": "refund", "queue": "billing"}
                      ).status_code == 200
    # a queue without codes takes any disposition
    assert alice.post("/api/calls/c-6/disposition", json={"disposition": "chatted", "queue": "adhoc"}
                      ).status_code == 200


def test_chat_and_email_interactions_show_in_the_card_history(client_for):
    alice = client_for("alice")
    for channel, summary in (("chat", "Asked about invoice 2291"), ("email", "<b>Sent</b> the PDF")):
        assert alice.post("/api/interactions", json={"customer_id": 1, "channel": channel,
                                                     "summary": summary}).status_code == 201
    history = alice.get("/api/customers/+14155550100").get_json()["customer"]["interactions"]
    assert [(i["channel"], i["summary"]) for i in history] == [("email", "<b>Sent</b> the PDF"),
                                                                ("chat", "Asked about invoice 2291")]
    assert all(isinstance(i["at"], float) for i in history)


def test_kb_suggestions_follow_queue_ivr_and_keywords(client_for):
    alice = client_for("alice")
    found = alice.get("/api/kb/suggest?queue=billing&ivr=menu:2&ivr=billing&q=charged+twice").get_json()
    assert [a["slug"] for a in found["articles"]][:2] == ["refund-double-charge", "payment-plan"]
    assert alice.get("/api/kb/suggest?queue=nothing").get_json()["articles"] == []
    assert alice.get("/api/kb/refund-double-charge").get_json()["title"] == "Refund a double charge"
    assert alice.get("/api/kb/..%2Fsecrets").status_code == 404
    assert alice.get("/api/kb/missing").status_code == 404


def test_console_page_carries_dispositions_layouts_and_transfer_targets(web_app, client_for):
    page = client_for("alice").get("/agent/").get_data(as_text=True)
    setup = json.loads(page.split('<script type="application/json" id="setup">')[1].split("</script>")[0])
    assert setup["queues"]["billing"] == {"dispositions": ["refund", "payment_plan", "explained"],
                                          "required": True, "wrap_up_s": 15}
    assert setup["layouts"]["default"][0] == "number"
    assert 'id="btn-hold"' in page and 'value="bob"' in page and "console_calls.js" in page


def test_admin_sets_a_card_layout_per_role_and_queue(web_app, client_for):
    admin = client_for("admin")
    saved = admin.post("/admin/card", data={"role": "agent", "queue": "billing", "fields": "tier, tickets,tier"})
    assert saved.status_code == 302
    assert admin.post("/admin/card", data={"role": "agent", "queue": "", "fields": "number,ssn"}).status_code == 400
    assert admin.post("/admin/card", data={"role": "root", "queue": "", "fields": "number"}).status_code == 400
    page = client_for("alice").get("/agent/").get_data(as_text=True)
    setup = json.loads(page.split('id="setup">')[1].split("</script>")[0])
    assert setup["layouts"]["queues"] == {"billing": ["tier", "tickets"]}
    assert "tier, tickets" in admin.get("/admin/card").get_data(as_text=True)
    assert admin.post("/admin/card", data={"role": "agent", "queue": "billing", "delete": "1"}).status_code == 302
    page = client_for("alice").get("/agent/").get_data(as_text=True)
    assert json.loads(page.split('id="setup">')[1].split("</script>")[0])["layouts"]["queues"] == {}
    from records.models import AuditLog

    actions = [a.action for a in rows(web_app, AuditLog, AuditLog.action.like("card_layout.%"))]
    assert actions == ["card_layout.save", "card_layout.delete"]


def upload(client, text: str | bytes, name="customers.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post("/admin/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_admin_uploads_a_customer_csv_and_sees_the_report(web_app, client_for):
    from records.customers import find_by_number
    from records.models import AuditLog
    from web.extensions import db

    csv = ("name,number,tier,tags\nZoe Kim,(415) 555-0400,gold,new\nZoe Kim,415.555.0401;415-555-0400,,\n"
           "<script>alert(1)</script>,<img src=x>,,\n")
    response = upload(client_for("admin"), csv)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<td id="report-created">1</td>' in page and '<td id="report-merged">1</td>' in page
    assert "<td>4</td>" in page and "&lt;img src=x&gt;" in page and "<img src=x>" not in page
    with web_app.app_context():
        zoe = find_by_number(db.session, "+14155550401")
        assert zoe.name == "Zoe Kim" and {n.e164 for n in zoe.numbers} == {"+14155550400", "+14155550401"}
    [entry] = rows(web_app, AuditLog, AuditLog.action == "customer.import")
    assert entry.details == {"created": 1, "updated": 0, "merged": 1, "rejected": 1}


def test_a_bad_upload_shows_the_error(client_for):
    response = upload(client_for("admin"), "name,email\nA,a@b\n")
    assert response.status_code == 400 and "number column" in response.get_data(as_text=True)
    assert upload(client_for("admin"), b"\xff\xfe\x00bad").status_code == 400


# -- hostile and odd input -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "王伟 🎧 Zoë", "x" * 300, "' OR 1=1 --"])
def test_odd_customer_names_round_trip_as_data(client_for, name):
    alice = client_for("alice")
    created = alice.post("/api/customers", json={"name": name, "number": "+14155550777"})
    assert created.status_code == 201
    assert alice.get("/api/customers/+14155550777").get_json()["customer"]["name"] == name


@pytest.mark.parametrize("number", ["anonymous", "12", "not-a-number", "+" + "9" * 40, "%00", "<b>"])
def test_anonymous_and_malformed_numbers_never_crash(client_for, number):
    response = client_for("alice").get(f"/api/customers/{number}")
    assert response.status_code in (400, 404)
    assert response.is_json


def test_too_long_names_are_refused(client_for):
    response = client_for("alice").post("/api/customers", json={"name": "x" * 301, "number": "+14155550778"})
    assert response.status_code == 400


def test_hostile_queue_names_are_escaped_on_admin_pages(web_app, client_for):
    from records.models import Queue
    from web.extensions import db

    with web_app.app_context():
        db.session.add(Queue(name="<script>q</script>", strategy="random", config={}))
        db.session.commit()
    page = client_for("admin").get("/admin/card").get_data(as_text=True)
    assert "<script>q</script>" not in page and "&lt;script&gt;q&lt;/script&gt;" in page
    console = client_for("alice").get("/agent/").get_data(as_text=True)
    assert "<script>q</script>" not in console


def test_follow_up_asks_the_worker_for_the_ticket(web_app, client_for):
    class Jobs:
        def __init__(self):
            self.enqueued = []

        def fetch_job(self, job_id):
            return None

        def enqueue(self, func, *args, **kwargs):
            self.enqueued.append((func, args))

    web_app.config["JOB_QUEUE"] = jobs = Jobs()
    reply = client_for("alice").post("/api/calls/c-7/follow-up", json={})
    assert reply.status_code == 201 and reply.get_json()["ticket_job"] is True
    assert [args for _, args in jobs.enqueued] == [("c-7",)]


def test_a_disposition_saved_while_the_controller_writes_the_record_is_kept(web_app, client_for):
    """The record is inserted by the controller's writer between the console's read and its insert
    (a unique call_id): the disposition goes onto that record, not a 500."""
    from sqlalchemy import event, text

    from records.models import Call
    from web.extensions import db

    alice = client_for("alice")
    with web_app.app_context():
        engine = db.engine
    written = []

    def writer_first(session, _context, _instances):
        if not written:
            written.append(True)
            with engine.begin() as other:   # another connection: the controller's writer
                other.execute(text("INSERT INTO calls (call_id, agent_id, queue, outcome, ivr_path, offers, explanations)"
                                   " VALUES ('c-race', 'alice', 'billing', 'answered', '[]', '[]', '[]')"))

    with web_app.app_context():
        event.listen(db.session, "before_flush", writer_first)
        try:
            reply = alice.post("/api/calls/c-race/disposition", json={"disposition": "refund", "queue": "billing"})
        finally:
            event.remove(db.session, "before_flush", writer_first)
        assert reply.status_code == 200, reply.get_data(as_text=True)
        row = db.session.scalar(db.select(Call).where(Call.call_id == "c-race"))
        assert (row.disposition, row.outcome) == ("refund", "answered")

"""Role x endpoint matrix: every route of the console's URL map, for anonymous, agent, supervisor and
admin, plus object-level cases (agent A on agent B's call).

Data-driven: ROUTES classifies each (endpoint, method) with the least role it needs and a request that
exercises it. A route missing from ROUTES fails test_every_route_is_classified, so a new route cannot
ship without saying who may call it. A write that succeeds must add an audit row (or be listed in
NOT_AUDITED with the reason).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401

ROLES = ("anonymous", "agent", "supervisor", "admin")
USERS = {"anonymous": None, "agent": "alice", "supervisor": "supervisor", "admin": "admin"}
LEVEL = {"public": 0, "user": 1, "agent": 1, "supervisor": 2, "admin": 3}
ROLE_LEVEL = {"anonymous": 0, "agent": 1, "supervisor": 2, "admin": 3}
OK = (200, 201, 202)


@dataclass(frozen=True)
class Case:
    path: str
    least: str                                  # public, user (any signed-in user), agent, supervisor, admin
    json: dict | None = None
    form: dict | None = None
    allowed: tuple[int, ...] = OK               # status when the role may call it
    per_role: dict[str, int] = field(default_factory=dict)   # exact status for some roles
    anonymous: int | None = None                # when not the usual 401 (API) / 302 to /login (pages)


# (endpoint, method) -> Case. Fixtures (see world()): alice is on live call c-live, bob on c-bob;
# c-wait is queued; call record c-1 is alice's (no recording); Redis is absent (MemoryState).
ROUTES: dict[tuple[str, str], Case] = {
    # public
    ("index", "GET"): Case("/", "public", allowed=(302,), anonymous=302),
    ("static", "GET"): Case("/static/console.css", "public", allowed=(200,), anonymous=200),
    ("health.healthz", "GET"): Case("/healthz", "public", allowed=(503,), anonymous=503),   # no Redis here
    ("auth.login", "GET"): Case("/login", "public", allowed=(302,), anonymous=200),          # signed in: redirect
    ("auth.login", "POST"): Case("/login", "public", form={"username": "alice", "password": "wrong"},
                                 allowed=(302,), anonymous=401),
    # Prometheus: loopback clients or the metrics_token, not a console role (web/metrics.py); tests are loopback
    ("metrics.metrics", "GET"): Case("/metrics", "public", allowed=(200,), anonymous=200),
    ("openapi.spec", "GET"): Case("/api/openapi.json", "public", allowed=(200,), anonymous=200),
    # any signed-in user
    ("auth.logout", "POST"): Case("/logout", "user", allowed=(302,)),
    ("account.password", "GET"): Case("/account/password", "user", allowed=(200,)),
    ("account.password", "POST"): Case("/account/password", "user", allowed=(400,),
                                       form={"current_password": "wrong", "new_password": "x" * 12, "confirm": "x" * 12}),
    # login_required (not role_required) answers an anonymous API call with the login redirect
    ("account.api_password", "POST"): Case("/api/account/password", "user", json={}, allowed=(400,), anonymous=302),
    # agent
    ("agent.console", "GET"): Case("/agent/", "agent"),
    ("agent.events", "GET"): Case("/agent/events", "agent", per_role={"supervisor": 409, "admin": 409}),
    # (the stream's generator is not read; a user without an agent phone must name ?agent=)
    # alice is on a call: the state machine refuses (409) after the access check let her in
    ("api.get_agent_state", "GET"): Case("/api/agent/state", "agent",
                                         per_role={"supervisor": 409, "admin": 409}),   # users without an agent
    ("api.set_agent_state", "POST"): Case("/api/agent/state", "agent", json={"state": "not_ready"}, allowed=(409,)),
    ("pops.ack", "POST"): Case("/api/agent/pop-ack", "agent", json={"call_id": "c-live"}, allowed=(202,),
                               per_role={"supervisor": 409, "admin": 409}),   # users without an agent phone
    ("pops.ack", "POST"): Case("/api/agent/pop-ack", "agent", json={"call_id": "c-live"},
                               per_role={"supervisor": 409, "admin": 409}),     # no agent phone
    ("softphone.credentials", "GET"): Case("/api/softphone", "agent", per_role={"supervisor": 409, "admin": 409}),
    ("softphone.save_settings", "POST"): Case("/api/softphone/settings", "agent", json={"auto_answer": False},
                                              per_role={"supervisor": 409, "admin": 409}),   # no agent phone
    ("api.get_customer", "GET"): Case("/api/customers/+14155550100", "agent"),
    ("api.create_customer", "POST"): Case("/api/customers", "agent", json={"name": "New", "number": "+14155550999"}),
    ("api.create_interaction", "POST"): Case("/api/interactions", "agent",
                                             json={"customer_id": 1, "channel": "chat", "summary": "hi"}),
    ("api.create_ticket", "POST"): Case("/api/tickets", "agent", json={"customer_id": 1, "subject": "s"}),
    ("api.create_note", "POST"): Case("/api/notes", "agent", json={"customer_id": 1, "text": "t"}),
    ("api.set_disposition", "POST"): Case("/api/calls/c-1/disposition", "agent", json={"disposition": "resolved"}),
    ("api.call_follow_up", "POST"): Case("/api/calls/c-1/follow-up", "agent", json={"subject": "refund id"}),
    ("api.call_hold", "POST"): Case("/api/calls/c-live/hold", "agent", json={}),
    ("api.call_unhold", "POST"): Case("/api/calls/c-live/unhold", "agent"),
    ("api.call_hangup", "POST"): Case("/api/calls/c-live/hangup", "agent", json={}),
    ("api.call_transfer", "POST"): Case("/api/calls/c-live/transfer", "agent",
                                        json={"to": "queue", "target": "support", "kind": "blind"}),
    ("api.call_transfer_complete", "POST"): Case("/api/calls/c-live/transfer/complete", "agent", json={}),
    ("api.call_transfer_cancel", "POST"): Case("/api/calls/c-live/transfer/cancel", "agent"),
    ("api.schedule_callback", "POST"): Case("/api/callbacks", "agent",
                                            json={"number": "+14155550100", "due_at": time.time() + 3600}),
    ("api.kb_suggest", "GET"): Case("/api/kb/suggest?queue=billing&ivr=billing", "agent"),
    ("api.kb_article", "GET"): Case("/api/kb/refund-double-charge", "agent"),
    ("callbacks.page", "GET"): Case("/callbacks/", "agent"),
    ("callbacks.list_json", "GET"): Case("/callbacks/list.json", "agent"),
    ("callbacks.cancel_scheduled", "POST"): Case("/api/callbacks/999/cancel", "agent", json={}, allowed=(404,)),
    ("callbacks.cancel_waiting", "POST"): Case("/api/callbacks/live/cb-gone/cancel", "agent", allowed=(404,)),
    # supervisor
    ("supervisor.wallboard", "GET"): Case("/supervisor/", "supervisor"),
    ("supervisor.wallboard_json", "GET"): Case("/supervisor/wallboard.json", "supervisor"),
    ("supervisor.events", "GET"): Case("/supervisor/events", "supervisor"),
    ("api_supervisor.supervise", "POST"): Case("/api/supervisor/agents/alice/supervise", "supervisor",
                                               json={"mode": "listen"}),     # from the registered 2001 (world)
    ("api_supervisor.force_state", "POST"): Case("/api/supervisor/agents/carol/state", "supervisor",
                                                 json={"state": "not_ready"}),
    ("api_supervisor.move_call", "POST"): Case("/api/supervisor/calls/c-wait/queue", "supervisor",
                                               json={"queue": "support"}),
    ("api_supervisor.call_priority", "POST"): Case("/api/supervisor/calls/c-wait/priority", "supervisor",
                                                   json={"priority": 20}),
    ("reports.index", "GET"): Case("/reports/", "supervisor"),
    ("reports.export_csv", "GET"): Case("/reports/export.csv", "supervisor"),
    ("reports.export_xlsx", "GET"): Case("/reports/export.xlsx", "supervisor"),
    ("reports.calls_export", "GET"): Case("/reports/calls/export.xlsx?bucket=2026-11-23T00:00:00&key=support",
                                          "supervisor"),
    ("reports.agents_export", "GET"): Case("/reports/agents/export.csv", "supervisor"),
    ("reports.missing_export", "GET"): Case("/reports/missing-dispositions/export.xlsx", "supervisor"),
    ("reports.calls", "GET"): Case("/reports/calls?bucket=2026-11-23T00:00:00&key=support", "supervisor"),
    ("reports.timeline", "GET"): Case("/reports/calls/c-1", "supervisor"),
    ("reports.recording", "GET"): Case("/reports/calls/c-1/recording", "supervisor", allowed=(404,)),
    ("reports.agents", "GET"): Case("/reports/agents", "supervisor"),
    ("reports.missing_dispositions", "GET"): Case("/reports/missing-dispositions", "supervisor"),
    ("quality.report", "GET"): Case("/quality/", "supervisor"),
    ("workforce.index", "GET"): Case("/workforce/?queue=support&days=2", "supervisor"),
    ("workforce.shifts", "GET"): Case("/workforce/shifts?date=2026-12-07", "supervisor"),
    ("workforce.add_shift", "POST"): Case("/workforce/shifts", "supervisor", allowed=(302,),
                                          form={"agent": "carol", "date": "2026-12-07", "start": "09:00",
                                                "end": "17:00", "breaks": "12:00-12:30"}),
    ("workforce.import_shifts", "POST"): Case("/workforce/shifts/import", "supervisor", allowed=(302,),
                                              form={"date": "2026-12-07", "csv": "bob,2026-12-07,08:00,16:00,"}),
    ("workforce.delete_shift", "POST"): Case("/workforce/shifts/999/delete", "supervisor", allowed=(404,)),
    ("workforce.adherence_report", "GET"): Case("/workforce/adherence?date=2026-12-07", "supervisor"),
    ("workforce.adherence_live", "GET"): Case("/workforce/adherence.json", "supervisor"),
    ("quality.call_page", "GET"): Case("/quality/calls/c-1", "supervisor"),
    ("quality.evaluate", "POST"): Case("/quality/calls/c-1/evaluate", "supervisor",
                                       form={"answer-empathy": "4", "answer-resolved": "1"}, allowed=(302,)),
    ("quality.mine", "GET"): Case("/quality/mine", "agent", per_role={"supervisor": 409, "admin": 409}),  # no agent
    # only the evaluated agent answers (test_quality_web.py); no evaluation 999 here
    ("quality.respond", "POST"): Case("/quality/evaluations/999/respond", "agent", form={"action": "acknowledge"},
                                      allowed=(404,)),
    # admin
    ("admin.users", "GET"): Case("/admin/users", "admin"),
    ("admin.set_monitor_extension", "POST"): Case("/admin/users/5/monitor-extension", "admin",
                                                  form={"extension": "2002"}, allowed=(302,)),
    ("admin.agents", "GET"): Case("/admin/agents", "admin"),
    ("admin_users.create", "POST"): Case("/admin/users/new", "admin", form={"username": ""}, allowed=(400,)),
    ("admin_users.act", "POST"): Case("/admin/users/5/enable", "admin"),
    ("admin_users.api_create", "POST"): Case("/api/admin/users", "admin", json={}, allowed=(400,)),
    ("admin_users.api_act", "POST"): Case("/api/admin/users/carol/enable", "admin", json={}),
    ("admin_files.index", "GET"): Case("/admin/files/", "admin"),
    ("admin_files.new", "GET"): Case("/admin/files/new?kind=queues&name=x", "admin", allowed=(302,)),
    ("admin_files.edit", "GET"): Case("/admin/files/flows/main", "admin"),
    ("admin_files.save", "POST"): Case("/admin/files/queues/support", "admin", form={"text": "x", "version": "0"},
                                       allowed=(409,)),   # not the version on disk: refused, nothing written
    ("admin_files.live_check", "POST"): Case("/admin/files/flows/main/check", "admin", form={"text": "name: main"}),
    ("admin_files.test_flow", "POST"): Case("/admin/files/flows/main/test", "admin", form={"text": "x"},
                                            allowed=(400,)),   # the flow does not load: said
    ("admin_agents.new", "GET"): Case("/admin/agents/new", "admin"),
    ("admin_agents.new", "POST"): Case("/admin/agents/new", "admin", form={"id": "x"}, allowed=(400,)),
    ("admin_agents.edit", "GET"): Case("/admin/agents/carol", "admin"),
    ("admin_agents.edit", "POST"): Case("/admin/agents/carol", "admin", form={"name": "C"}, allowed=(400,)),
    ("admin_agents.regenerate", "POST"): Case("/admin/agents/carol/sip-password", "admin"),
    ("admin_agents.export_csv", "GET"): Case("/admin/agents.csv", "admin"),
    ("admin_agents.import_csv", "POST"): Case("/admin/agents/import", "admin", allowed=(400,)),   # no file
    ("admin_agents.api_create", "POST"): Case("/api/admin/agents", "admin", json={}, allowed=(400,)),
    ("admin_agents.api_update", "PUT"): Case("/api/admin/agents/carol", "admin", json={}, allowed=(400,)),
    ("admin.queues", "GET"): Case("/admin/queues", "admin"),
    ("admin.audit_log", "GET"): Case("/admin/audit", "admin"),
    ("admin.audit_csv", "GET"): Case("/admin/audit.csv", "admin"),
    ("admin.import_customers_page", "GET"): Case("/admin/import", "admin"),
    ("admin.import_customers_page", "POST"): Case("/admin/import", "admin", allowed=(400,)),   # no file
    ("admin.card_layouts", "GET"): Case("/admin/card", "admin"),
    ("admin.card_layouts", "POST"): Case("/admin/card", "admin", form={"role": "nobody"}, allowed=(400,)),
    ("flows.index", "GET"): Case("/admin/flows/", "admin"),
    ("flows.show", "GET"): Case("/admin/flows/main", "admin"),
    ("account.api_force_reset", "POST"): Case("/api/users/carol/force-reset", "admin"),
    ("reports.failed_jobs", "GET"): Case("/reports/failed-jobs", "admin", allowed=(503,)),         # no Redis
    ("reports.retry_job", "POST"): Case("/reports/failed-jobs/nope/retry", "admin", allowed=(503,)),
}


def world(app) -> None:
    from control.domain.models import Agent, AgentState, Call, CallState
    from records.models import Call as CallRecord, User
    from sqlalchemy import select
    from web.extensions import db

    store = app.config["LIVE_STATE"]
    store.put_call(Call(id="c-live", caller="+14155550100", did="+18005550100", queue="billing", agent_id="alice"))
    store.put_call(Call(id="c-bob", caller="+14155550101", did="+18005550100", queue="support", agent_id="bob"))
    store.put_agent(Agent(id="alice", extension="1001", state=AgentState.ON_CALL, call_id="c-live"))
    store.put_agent(Agent(id="bob", extension="1002", state=AgentState.ON_CALL, call_id="c-bob"))
    store.put_agent(Agent(id="carol", extension="1003", state=AgentState.AVAILABLE))
    store.put_call(Call(id="c-wait", caller="+14155550102", did="+18005550100", queue="billing",
                        state=CallState.QUEUED))
    with app.app_context():
        db.session.add(CallRecord(call_id="c-1", agent_id="alice", queue="support", ivr_path=[], offers=[],
                                  explanations=[]))
        db.session.add(CallRecord(call_id="c-bob-done", agent_id="bob", queue="support", ivr_path=[], offers=[],
                                  explanations=[]))
        for user in db.session.scalars(select(User).where(User.role != "agent")):
            user.monitor_extension = "2001" if user.username == "supervisor" else "2009"
        db.session.commit()


@pytest.fixture
def signed_in(web_app):
    """A client signed in as ``username`` without a login round trip (password hashing would make the
    matrix slow; the login itself is tested in test_web_login_security.py): the session names the user
    as Flask-Login's own login_user does."""
    from sqlalchemy import select

    from records.models import User
    from web.extensions import db

    def make(username: str | None):
        client = web_app.test_client()
        if username:
            with web_app.app_context():
                user_id = db.session.scalar(select(User).where(User.username == username)).get_id()
            with client.session_transaction() as session:
                session["_user_id"], session["_fresh"] = user_id, True
        return client
    return make


# Writes that leave no audit row, and why.
NOT_AUDITED = {"pops.ack": "a pop shown on screen; no data changes",
               "admin_files.live_check": "checks the text being edited; writes nothing",
               "admin_files.test_flow": "walks the text being edited; writes nothing",
               "auth.login": "a signed-in user is only sent on (logins are audited: test_web_login_security.py)"}


def audit_rows(app) -> int:
    from sqlalchemy import func, select

    from records.models import AuditLog
    from web.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditLog))


def expected(case: Case, who: str) -> tuple[int, ...]:
    if who == "anonymous":
        if case.anonymous is not None:
            return (case.anonymous,)
        return (401,) if case.path.startswith("/api/") else (302,)
    if ROLE_LEVEL[who] < LEVEL[case.least]:
        return (403,)
    if who in case.per_role:
        return (case.per_role[who],)
    return case.allowed


def call(client, method: str, case: Case):
    if case.form is not None:
        return client.open(case.path, method=method, data=case.form)
    return client.open(case.path, method=method, json=case.json)


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("endpoint,method", list(ROUTES), ids=[f"{e} {m}" for e, m in ROUTES])
def test_role_matrix(web_app, signed_in, who, endpoint, method):
    case = ROUTES[(endpoint, method)]
    world(web_app)
    before = audit_rows(web_app)
    response = call(signed_in(USERS[who]), method, case)
    assert response.status_code in expected(case, who), response.get_data(as_text=True)[:300]
    changed = method != "GET" and who != "anonymous" and (200 <= response.status_code < 300 or
                                                            response.status_code == 302)
    if changed and endpoint not in NOT_AUDITED:
        assert audit_rows(web_app) > before, f"{endpoint} {method} changed something without an audit row"
    if who == "anonymous" and response.status_code == 302 and case.least != "public":
        assert "/login" in response.location
    if who != "anonymous" and response.status_code == 302:
        assert "/login" not in response.location or endpoint == "auth.logout"


def test_every_route_is_classified(web_app):
    """A new route (or a new method on one) must get a row in ROUTES."""
    served = {(rule.endpoint, method) for rule in web_app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert sorted(served - set(ROUTES)) == [], "classify these routes in ROUTES"
    assert sorted(set(ROUTES) - served) == [], "these ROUTES rows name routes that no longer exist"


def test_the_least_role_matches_what_the_view_declares(web_app):
    """role_required views carry their role; the table must say the same."""
    for (endpoint, _method), case in ROUTES.items():
        declared = getattr(web_app.view_functions[endpoint], "required_role", None)
        if declared is not None:
            assert declared == case.least, endpoint
        else:
            assert case.least in ("public", "user"), f"{endpoint} declares no role but the table says {case.least}"


# -- object level: agent A (alice) against agent B's (bob's) calls --------------------------------

LIVE_BOB = [  # bob's live call
    ("/api/calls/c-bob/hold", {}), ("/api/calls/c-bob/unhold", {}), ("/api/calls/c-bob/hangup", {}),
    ("/api/calls/c-bob/transfer", {"to": "queue", "target": "billing"}),
    ("/api/calls/c-bob/transfer", {"to": "external", "target": "+14155550199", "kind": "attended"}),
    ("/api/calls/c-bob/transfer/complete", {}), ("/api/calls/c-bob/transfer/cancel", {}),
    ("/api/calls/c-bob/disposition", {"disposition": "resolved"}),
    ("/api/calls/c-bob/follow-up", {"subject": "x"}),
    ("/api/notes", {"call_id": "c-bob", "text": "mine now"}),
    ("/api/tickets", {"customer_id": 1, "call_id": "c-bob", "subject": "linked"}),
    ("/api/callbacks", {"number": "+14155550101", "due_at": time.time() + 3600, "call_id": "c-bob"}),
]
RECORDED_BOB = [  # bob's finished call
    ("/api/calls/c-bob-done/disposition", {"disposition": "resolved"}),
    ("/api/calls/c-bob-done/follow-up", {}),
    ("/api/notes", {"call_id": "c-bob-done", "text": "mine now"}),
    ("/api/tickets", {"customer_id": 1, "call_id": "c-bob-done", "subject": "linked"}),
]
OBJECT_CASES = LIVE_BOB + RECORDED_BOB


@pytest.mark.parametrize("path,body", OBJECT_CASES, ids=[f"{p} {sorted(b)}" for p, b in OBJECT_CASES])
@pytest.mark.parametrize("who,status", [("alice", (403,)), ("bob", OK), ("supervisor", OK)])
def test_object_level(web_app, signed_in, path, body, who, status):
    world(web_app)
    response = signed_in(who).post(path, json=body)
    assert response.status_code in status, response.get_data(as_text=True)[:300]


def test_an_agent_cancels_only_callbacks_they_scheduled(web_app, client_for):
    world(web_app)
    made = client_for("bob").post("/api/callbacks", json={"number": "+14155550101", "due_at": time.time() + 3600})
    row = made.get_json()["id"]
    assert client_for("alice").post(f"/api/callbacks/{row}/cancel", json={}).status_code == 403
    assert client_for("bob").post(f"/api/callbacks/{row}/cancel", json={}).status_code == 200


def test_a_supervisor_monitors_only_from_their_own_extension(web_app, client_for):
    world(web_app)
    supervisor = client_for("supervisor")
    for extension in ("1002", "2009"):        # bob's phone; the admin's registered extension
        response = supervisor.post("/api/supervisor/agents/alice/supervise",
                                   json={"mode": "listen", "extension": extension})
        assert response.status_code == 403
    assert supervisor.post("/api/supervisor/agents/alice/supervise",
                           json={"mode": "listen", "extension": "2001"}).status_code == 202


def test_an_admin_cannot_register_an_agents_phone_as_a_monitoring_extension(web_app, client_for):
    from records.models import User
    from web.extensions import db

    response = client_for("admin").post("/admin/users/5/monitor-extension", data={"extension": "1002"})
    assert response.status_code == 409
    with web_app.app_context():
        assert db.session.get(User, 5).monitor_extension is None

"""Admin: agents created and edited through the API and the pages, with one set of rules."""
from __future__ import annotations

import io
from pathlib import Path

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401

NEW = {"id": "erin", "name": "Erin Diaz", "extension": "1055", "skills": {"english": 7, "billing": 4},
       "queues": ["billing", "support"], "wrap_up_s": 0}


def _audit_rows(app, action):
    from sqlalchemy import select

    from records.models import AuditLog
    from web.extensions import db

    with app.app_context():
        return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_create_saves_renders_the_phone_and_reaches_live_state(web_app, client_for):
    reply = client_for("admin").post("/api/admin/agents", json=NEW)
    assert reply.status_code == 201, reply.get_json()
    body = reply.get_json()
    assert len(body["sip_password"]) >= 20 and body["version"] and body["wrap_up_s"] == 0
    live = web_app.config["LIVE_STATE"].get_agent("erin")
    assert live.skills == {"english": 7, "billing": 4} and live.queues == ["billing", "support"]
    assert live.wrap_up_s == 0
    xml = Path(web_app.config["HOTLINE"].freeswitch_conf_dir, "directory", "agents")
    assert body["sip_password"] in next(xml.glob("*1055*.xml")).read_text()
    assert "did not answer" in body["switch"]   # no switch here: said, and the agent is saved anyway
    [row] = _audit_rows(web_app, "agent.create")
    assert row.details["after"]["extension"] == "1055" and row.details["before"] == {}


def test_bad_input_is_named_by_field_and_nothing_is_saved(web_app, client_for):
    admin = client_for("admin")
    reply = admin.post("/api/admin/agents", json={**NEW, "extension": "1001", "name": " ",
                                                  "skills": {"klingon": 3}, "queues": ["nowhere"]})
    assert reply.status_code == 400
    problems = reply.get_json()["problems"]
    assert "already agent alice's" in problems["extension"] and problems["name"]
    assert "unknown skill(s) klingon" in problems["skills"] and "unknown queue(s) nowhere" in problems["queues"]
    level = admin.post("/api/admin/agents", json={**NEW, "skills": {"english": 11}}).get_json()
    assert "1 to 10" in level["problems"]["skills"]
    assert web_app.config["LIVE_STATE"].get_agent("erin") is None
    assert admin.get("/admin/agents/erin").status_code == 404


def test_a_second_admin_saving_an_old_version_is_refused(client_for):
    first, second = client_for("admin"), client_for("admin")
    created = first.post("/api/admin/agents", json=NEW).get_json()
    opened = created["version"]
    changed = first.put("/api/admin/agents/erin", json={**NEW, "name": "Erin D.", "version": opened})
    assert changed.status_code == 200, changed.get_json()
    late = second.put("/api/admin/agents/erin", json={**NEW, "name": "Erin Diaz-Lee", "version": opened})
    assert late.status_code == 409 and "changed since you opened it" in late.get_json()["error"]
    assert first.get("/admin/agents/erin").get_data(as_text=True).count("Erin D.") >= 1


def test_the_page_shows_each_problem_next_to_its_field(client_for):
    page = client_for("admin").post("/admin/agents/new", data={
        "id": "Bad Id", "name": "", "extension": "12x", "skill": ["english"], "level-english": "0",
        "queues": "support", "wrap_up_s": "-3"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    for field in ("id", "name", "extension", "wrap_up_s"):
        assert f'id="error-{field}"' in html, field


def test_the_page_creates_an_agent_and_shows_its_sip_password_once(web_app, client_for):
    admin = client_for("admin")
    page = admin.post("/admin/agents/new", data={
        "id": "frank", "name": "Frank", "extension": "1066", "skill": ["english", "billing"],
        "level-english": "5", "level-billing": "0", "queues": "support", "wrap_up_s": ""})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="sip-password"' in html
    assert web_app.config["LIVE_STATE"].get_agent("frank").skills == {"english": 5}
    again = admin.get("/admin/agents/frank").get_data(as_text=True)
    assert 'id="sip-password"' not in again
    regenerated = admin.post("/admin/agents/frank/sip-password").get_data(as_text=True)
    assert 'id="sip-password"' in regenerated


def test_csv_round_trip_and_a_bad_row_is_refused_alone(client_for):
    admin = client_for("admin")
    exported = admin.get("/admin/agents.csv").get_data(as_text=True)
    assert exported.splitlines()[0] == "id,name,extension,skills,queues,wrap_up_s"
    text = (exported + "gina,Gina,1077,english:6,support,\n" + "hank,Hank,1077,english:6,support,\n")
    page = admin.post("/admin/agents/import", data={"file": (io.BytesIO(text.encode()), "agents.csv")},
                      content_type="multipart/form-data")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "gina" in html and "already agent gina&#39;s" in html   # hank's extension is taken by gina
    assert admin.get("/admin/agents/gina").status_code == 200 and admin.get("/admin/agents/hank").status_code == 404


def test_skills_come_from_skills_yaml_the_managed_list(web_app, client_for):
    # queues/skills.yaml declares "technical"; the seeded database has no row for it yet
    reply = client_for("admin").post("/api/admin/agents", json={**NEW, "skills": {"technical": 6}})
    assert reply.status_code == 201, reply.get_json()
    assert web_app.config["LIVE_STATE"].get_agent("erin").skills == {"technical": 6}
    form = client_for("admin").get("/admin/agents/new").get_data(as_text=True)
    assert 'id="level-technical"' in form and 'id="level-spanish"' in form

"""Shifts in the console (editor, CSV import with line errors), the adherence report, and the
wallboard's live adherence data."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401


def _count(app) -> int:
    from records.workforce_models import AgentShift
    from web.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AgentShift))


def test_csv_import_reports_every_bad_line_and_writes_nothing(web_app, client_for):
    supervisor = client_for("supervisor")
    bad = "agent,date,start,end,breaks\nalice,2026-12-07,09:00,17:00,12:00-12:30\nnobody,2026-12-07,09:00,17:00,\n" \
          "bob,2026-12-07,09:00,17:00,18:00-18:30\n"
    response = supervisor.post("/workforce/shifts/import", data={"date": "2026-12-07", "csv": bad})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "line 3: unknown agent" in page and "line 4: break" in page
    assert _count(web_app) == 0
    good = "alice,2026-12-07,09:00,17:00,12:00-12:30;15:00-15:15\nbob,2026-12-07,22:00,06:00,\n"
    assert supervisor.post("/workforce/shifts/import", data={"date": "2026-12-07", "csv": good}).status_code == 302
    assert supervisor.post("/workforce/shifts/import", data={"date": "2026-12-07", "csv": good}).status_code == 302
    assert _count(web_app) == 2                      # the same agent and start replaces
    listed = supervisor.get("/workforce/shifts?date=2026-12-07").get_data(as_text=True)
    assert 'data-agent="alice"' in listed and "12:00–12:30, 15:00–15:15" in listed and "06:00" in listed


def test_live_adherence_flags_an_agent_out_of_their_shift_activity(web_app, client_for):
    from records import state_log
    from records.db import session_factory
    from reports.intervals import zone

    tz = zone(web_app.config["HOTLINE"].timezone)
    now = datetime.now(tz)
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=2)).strftime("%H:%M")
    supervisor = client_for("supervisor")
    day = str((now - timedelta(hours=1)).date())
    assert supervisor.post("/workforce/shifts", data={"agent": "alice", "date": day, "start": start,
                                                      "end": end}).status_code == 302
    sessions = session_factory(web_app.config["SQLALCHEMY_DATABASE_URI"])
    state_log.append(sessions, "alice", "available", at=now - timedelta(minutes=50))
    state_log.append(sessions, "alice", "not_ready", None, at=now - timedelta(minutes=12))
    flags = supervisor.get("/workforce/adherence.json").get_json()["flags"]
    assert [(f["agent"], f["scheduled"], f["actual"]) for f in flags] == [("alice", "phone", "other")]
    assert 11 < flags[0]["minutes"] < 14
    assert supervisor.get("/workforce/adherence.json?grace=20").get_json()["flags"] == []
    report = supervisor.get(f"/workforce/adherence?date={day}").get_data(as_text=True)
    assert 'data-agent="alice"' in report
    assert client_for("alice").get("/workforce/adherence.json").status_code == 403

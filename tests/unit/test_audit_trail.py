"""Audit (issue 16, part 6): every read of customer data, recording play, export, timeline view,
failed-job retry and admin action leaves who / what / when / where; the audit page filters, searches,
pages and exports; nothing in the application edits or deletes an audit row."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.web_fixtures import client_for, sqlite_url, web_app  # noqa: F401

READ_ONLY = {"GET", "HEAD", "OPTIONS"}


def entries(app, action: str):
    from records.models import AuditLog
    from web.extensions import db

    with app.app_context():
        return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def add_call(app, call_id="c-9", recording_path=None):
    from records.models import Call
    from web.extensions import db

    with app.app_context():
        db.session.add(Call(call_id=call_id, agent_id="alice", queue="support", caller="+14155550100",
                            entered_at=datetime(2026, 11, 23, 10, tzinfo=timezone.utc), ivr_path=[], offers=[],
                            explanations=[], recording_path=recording_path))
        db.session.commit()


def test_no_route_can_change_or_delete_audit_rows(web_app):
    """Walks the URL map: anything about the audit trail is read-only."""
    writable = [(rule.rule, sorted(rule.methods - READ_ONLY)) for rule in web_app.url_map.iter_rules()
                if "audit" in rule.rule.lower() or "audit" in rule.endpoint.lower()
                if rule.methods - READ_ONLY]
    assert writable == []


def test_the_audit_routes_refuse_writes(web_app, client_for):
    admin = client_for("admin")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for path in ("/admin/audit", "/admin/audit.csv", "/admin/audit/1"):
            assert admin.open(path, method=method).status_code in (404, 405)


@pytest.mark.parametrize("path,action,target", [
    ("/reports/calls/c-9", "call.timeline", "call:c-9"),
    ("/reports/calls/c-9/recording", "recording.play", "call:c-9"),
    ("/reports/export.csv?start=2026-11-20&end=2026-11-24", "report.export", "report:queue"),
    ("/reports/export.xlsx?start=2026-11-20&end=2026-11-24", "report.export", "report:queue"),
    ("/reports/agents/export.xlsx?start=2026-11-20&end=2026-11-24", "report.export", "report:agents"),
    ("/reports/missing-dispositions/export.csv", "report.export", "report:dispositions"),
    ("/reports/calls/export.csv?bucket=2026-11-23T00:00:00&key=support", "report.export", "queue:support"),
    ("/reports/calls?bucket=2026-11-23T00:00:00&key=support", "report.calls", "queue:support"),
])
def test_reads_and_exports_are_audited_with_who_and_where(web_app, client_for, tmp_path, path, action, target):
    """Before: recording plays, call timelines and CSV exports left no trace."""
    recording = tmp_path / "rec" / "c-9.wav"
    recording.parent.mkdir()
    recording.write_bytes(b"RIFF....WAVE")
    web_app.config["HOTLINE"] = web_app.config["HOTLINE"].replace(recordings_dir=str(recording.parent))
    add_call(web_app, recording_path=str(recording))
    response = client_for("supervisor").get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 200
    [row] = entries(web_app, action)
    assert (row.who, row.target, row.ip) == ("supervisor", target, "10.1.2.3")
    assert row.at is not None


def test_a_recording_is_audited_once_per_play_not_per_range_request(web_app, client_for, tmp_path):
    recording = tmp_path / "c-9.wav"
    recording.write_bytes(b"RIFF" + b"." * 5000)
    web_app.config["HOTLINE"] = web_app.config["HOTLINE"].replace(recordings_dir=str(tmp_path))
    add_call(web_app, recording_path=str(recording))
    sup = client_for("supervisor")
    assert sup.get("/reports/calls/c-9/recording", headers={"Range": "bytes=0-"}).status_code == 206
    assert sup.get("/reports/calls/c-9/recording", headers={"Range": "bytes=2000-"}).status_code == 206
    assert len(entries(web_app, "recording.play")) == 1


def test_a_failed_job_retry_is_audited(web_app, client_for, monkeypatch):
    from web import reports

    class Registry:
        requeued: list[str] = []

        def requeue(self, job_id):
            self.requeued.append(job_id)

    monkeypatch.setattr(reports, "_registry", Registry)
    assert client_for("admin").post("/reports/failed-jobs/wrapup-c-9/retry").status_code == 302
    [row] = entries(web_app, "job.retry")
    assert (row.who, row.target, row.ip) == ("admin", "job:wrapup-c-9", "127.0.0.1")
    assert Registry.requeued == ["wrapup-c-9"]


def test_admin_actions_are_audited(web_app, client_for):
    admin = client_for("admin")
    assert admin.post("/admin/users/5/monitor-extension", data={"extension": "2001"}).status_code == 302
    [row] = entries(web_app, "user.monitor_extension")
    assert row.target == "user:supervisor" and row.details == {"before": None, "after": "2001"}
    admin.get("/admin/audit.csv")
    admin.get("/admin/audit?who=alice")
    assert [r.details for r in entries(web_app, "audit.view")] == [{"filter": {"who": "alice"}}]
    assert len(entries(web_app, "audit.export")) == 1


# -- the audit page -------------------------------------------------------------------------

@pytest.fixture
def trail(web_app):
    """130 rows: alice views customers every minute on 2026-11-20, bob dispositions calls on 2026-11-21."""
    from records.models import AuditLog
    from web.extensions import db

    start = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    with web_app.app_context():
        for i in range(100):
            db.session.add(AuditLog(who="alice", action="customer.view", target=f"number:+1415555{i:04d}",
                                    details={"found": True}, ip="10.0.0.1", at=start + timedelta(minutes=i)))
        for i in range(30):
            db.session.add(AuditLog(who="bob", action="call.disposition", target=f"call:c-{i}",
                                    details={"disposition": "=HYPERLINK(\"http://x\")" if i == 7 else "resolved"},
                                    ip="10.0.0.2", at=start + timedelta(days=1, minutes=i)))
        db.session.commit()


def _rows(page: str) -> list[str]:
    body = page.split('<table id="audit">')[1].split("</table>")[0]
    return body.split("<tr>")[2:]


def test_filter_by_user_action_object_and_dates(web_app, client_for, trail):
    admin = client_for("admin")
    assert len(_rows(admin.get("/admin/audit?who=bob").get_data(as_text=True))) == 30
    assert len(_rows(admin.get("/admin/audit?action=call.").get_data(as_text=True))) == 30      # a prefix
    assert len(_rows(admin.get("/admin/audit?action=call").get_data(as_text=True))) == 0       # exact
    page = admin.get("/admin/audit?target=call:c-7").get_data(as_text=True)
    assert len(_rows(page)) == 1 and "call:c-7" in page
    assert len(_rows(admin.get("/admin/audit?who=alice&start=2026-11-21").get_data(as_text=True))) == 0
    assert len(_rows(admin.get("/admin/audit?start=2026-11-21&end=2026-11-21").get_data(as_text=True))) == 30


def test_search_looks_in_every_column_and_the_details(web_app, client_for, trail):
    admin = client_for("admin")
    assert len(_rows(admin.get("/admin/audit?q=10.0.0.2").get_data(as_text=True))) == 30
    assert len(_rows(admin.get("/admin/audit?q=HYPERLINK").get_data(as_text=True))) == 1
    assert len(_rows(admin.get("/admin/audit?q=%2B14155550042").get_data(as_text=True))) == 1
    assert len(_rows(admin.get("/admin/audit?q=100%25").get_data(as_text=True))) == 0     # % is literal


def test_pages_of_fifty_newest_first(web_app, client_for, trail):
    admin = client_for("admin")
    first = admin.get("/admin/audit?who=alice").get_data(as_text=True)
    assert len(_rows(first)) == 50 and "+14155550099" in _rows(first)[0]
    assert 'rel="next"' in first and 'rel="prev"' not in first
    last = admin.get("/admin/audit?who=alice&page=2").get_data(as_text=True)
    assert len(_rows(last)) == 50 and "+14155550000" in _rows(last)[-1]
    assert 'rel="next"' not in last and "who=alice" in last.split('rel="prev"')[1][:200]


@pytest.mark.parametrize("query", ["start=23-11-2026", "page=0", "page=x", "start=2026-11-22&end=2026-11-21",
                                   "q=a%00b"])
def test_bad_filters_get_a_400_that_says_what_is_wrong(web_app, client_for, query):
    response = client_for("admin").get(f"/admin/audit?{query}")
    assert response.status_code == 400 and b'class="error"' in response.data
    assert client_for("admin").get(f"/admin/audit.csv?{query}").status_code == 400


def test_csv_export_follows_the_filter_and_defuses_formulas(web_app, client_for, trail):
    response = client_for("admin").get("/admin/audit.csv?who=bob")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["id", "at", "who", "action", "target", "ip", "details"]
    assert len(rows) == 31 and {r[2] for r in rows[1:]} == {"bob"}
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_only_admins_read_the_trail(web_app, client_for):
    for who in ("alice", "supervisor"):
        assert client_for(who).get("/admin/audit").status_code == 403
        assert client_for(who).get("/admin/audit.csv").status_code == 403


@pytest.mark.parametrize("path,action,who", [("/callbacks/", "callbacks.view", "alice"),
                                             ("/supervisor/", "wallboard.view", "supervisor")])
def test_pages_listing_callers_are_audited_when_opened(web_app, client_for, path, action, who):
    assert client_for(who).get(path).status_code == 200
    assert [r.who for r in entries(web_app, action)] == [who]


def test_the_filter_runs_on_postgresql(pg_sessions):
    """The page's query (date range, prefix, LIKE with escapes, search in the JSON details) on PostgreSQL,
    migrated to the newest schema (which has users.monitor_extension, migration 0006)."""
    from datetime import date

    from sqlalchemy import inspect

    from records.models import AuditLog
    from web.audit import AuditFilter

    day = datetime(2026, 11, 20, 23, 30, tzinfo=timezone.utc)
    with pg_sessions() as session:
        session.add_all([
            AuditLog(who="alice", action="customer.view", target="number:+14155550100", details={"found": True},
                     ip="10.0.0.1", at=day),
            AuditLog(who="alice", action="customer.view", target="number:+14155550101", details={"found": False},
                     ip="10.0.0.1", at=day + timedelta(hours=1)),          # the next UTC day
            AuditLog(who="bob", action="customer.view", target="number:100%", details={}, ip="10.0.0.2", at=day),
        ])
        session.commit()
        flt = AuditFilter(who="alice", action="customer.", target="number:+1", start=date(2026, 11, 20),
                          end=date(2026, 11, 20), q='"FOUND": TRUE')
        assert [r.target for r in session.scalars(flt.query())] == ["number:+14155550100"]
        assert [r.who for r in session.scalars(AuditFilter(q="100%").query())] == ["bob"]
        assert "monitor_extension" in {c["name"] for c in inspect(session.get_bind()).get_columns("users")}

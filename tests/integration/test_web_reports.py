"""The reports blueprint: report + chart, CSV, drill-down, timeline, recording, failed jobs + retry."""
from __future__ import annotations

import wave

import pytest

import records.wrapup_models  # noqa: F401  (its tables must exist in the test database)
from tests.web_fixtures import build_app, client_for, login, sqlite_url  # noqa: F401

pytestmark = pytest.mark.integration


@pytest.fixture
def app(sqlite_url, redis_url, redis_prefix, redis_client, monkeypatch):
    from records.db import make_engine
    from records.models import Base
    app = build_app(sqlite_url, redis_url=redis_url, redis_prefix=redis_prefix, rq_queue=f"{redis_prefix}-wrapup")
    engine = make_engine(sqlite_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    monkeypatch.setenv("HOTLINE_DATABASE_URL", sqlite_url)
    yield app
    keys = list(redis_client.scan_iter(match=f"rq:*{redis_prefix}*", count=1000))
    if keys:
        redis_client.delete(*keys)


@pytest.fixture
def calls(app, sqlite_url, tmp_path):
    from records.db import session_factory
    from tests.integration.test_report_queries import load

    rows = load(session_factory(sqlite_url), "w")
    wav = tmp_path / "rec.wav"
    # the console serves only files inside recordings_dir (web/reports.py confined)
    app.config["HOTLINE"] = app.config["HOTLINE"].replace(recordings_dir=str(tmp_path))
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000), w.writeframes(b"\0\0" * 800)
    from records.models import Call
    with session_factory(sqlite_url)() as s, s.begin():
        call = s.query(Call).filter_by(call_id="w-s1").one()
        call.ivr_path = ["menu:2", "billing"]
        call.recording_path = str(wav)
        call.explanations = [{"kind": "route", "agent": "alice", "at": call.entered_at.timestamp() + 5,
                              "strategy": "longest-idle-agent", "why": "idle 310 s"}]
    return rows


def client(app, who):
    return login(app.test_client(), who)


def test_report_page_chart_and_csv(app, calls):
    from reports.kpis import COLUMNS

    sup = client(app, "supervisor")
    page = sup.get("/reports/?start=2026-03-02&end=2026-03-02&interval=day&by=queue")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="report-chart"' in html and "w-support" in html
    # the chart is Chart.js fed from a JSON block: no inline script
    assert all("src=" in chunk.split(">")[0] or 'type="application/json"' in chunk.split(">")[0]
               for chunk in html.split("<script")[1:])
    assert '<svg class="chart"' not in html and ">Service level<" in html and ">asa_s<" not in html
    csv = sup.get("/reports/export.csv?start=2026-03-02&end=2026-03-02").get_data(as_text=True).splitlines()
    assert csv[0] == ",".join(COLUMNS) and len(csv) == 3
    support = next(line.split(",") for line in csv[1:] if ",w-support," in line)
    assert support[2:7] == ["5", "2", "1", "1", "1"]    # offered, answered, abandoned, short, other
    assert client(app, "alice").get("/reports/").status_code == 403
    assert sup.get("/reports/?interval=fortnight").status_code == 400


def test_drill_down_to_calls_timeline_and_recording(app, calls):
    sup = client(app, "supervisor")
    listing = sup.get("/reports/calls?bucket=2026-03-02T00:00:00%2B00:00&interval=day&by=queue&key=w-support")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200
    assert sorted(c for c in ("w-s1", "w-s2", "w-s3", "w-s4", "w-s5", "w-b1") if f"/reports/calls/{c}\"" in html) == \
        ["w-s1", "w-s2", "w-s3", "w-s4", "w-s5"]
    timeline = sup.get("/reports/calls/w-s1").get_data(as_text=True)
    assert "menu:2" in timeline and "idle 310 s" in timeline and "answered by alice" in timeline
    assert '<audio id="recording-player" controls preload="none" src="/reports/calls/w-s1/recording">' in timeline
    audio = sup.get("/reports/calls/w-s1/recording")
    assert audio.status_code == 200 and audio.data[:4] == b"RIFF"
    assert sup.get("/reports/calls/w-s2/recording").status_code == 404
    assert sup.get("/reports/calls/nope").status_code == 404


def test_failed_jobs_page_and_retry(app, calls, redis_client, redis_prefix):
    from rq import SimpleWorker
    from rq.registry import FailedJobRegistry

    from worker.queues import job_queue

    queue = job_queue(f"{redis_prefix}-wrapup", redis_client)
    queue.enqueue("worker.wrapup.finalize_call", "not-written", job_id=f"wrapup-{redis_prefix}")
    SimpleWorker([queue], connection=redis_client, serializer=queue.serializer).work(burst=True)
    registry = FailedJobRegistry(queue=queue)
    assert registry.get_job_ids() == [f"wrapup-{redis_prefix}"]

    assert client(app, "supervisor").get("/reports/failed-jobs").status_code == 403
    admin = client(app, "admin")
    page = admin.get("/reports/failed-jobs").get_data(as_text=True)
    assert f"wrapup-{redis_prefix}" in page and "RecordNotWrittenYet" in page
    assert admin.post(f"/reports/failed-jobs/wrapup-{redis_prefix}/retry").status_code == 302
    assert registry.get_job_ids() == [] and queue.job_ids == [f"wrapup-{redis_prefix}"]
    assert "no longer" in admin.post(f"/reports/failed-jobs/wrapup-{redis_prefix}/retry",
                                     follow_redirects=True).get_data(as_text=True)


def test_answered_calls_without_a_required_disposition_are_listed(app, calls, sqlite_url):
    from datetime import datetime, timezone

    from records.db import session_factory
    from records.models import Call

    at = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
    with session_factory(sqlite_url)() as s, s.begin():   # billing requires a disposition (queues/billing.yaml)
        for call_id, disposition, answered in (("m-none", None, at), ("m-done", "refund", at), ("m-missed", None, None)):
            s.add(Call(call_id=call_id, queue="billing", agent_id="alice", entered_at=at, answered_at=answered,
                       disposition=disposition, talk_s=65.0, ivr_path=[], offers=[], explanations=[]))
    html = client(app, "supervisor").get("/reports/missing-dispositions?start=2026-03-02&end=2026-03-02")
    text = html.get_data(as_text=True)
    assert html.status_code == 200 and 'data-call="m-none"' in text and "1:05" in text
    assert 'data-call="m-done"' not in text and 'data-call="m-missed"' not in text
    assert "Missing dispositions" in client(app, "supervisor").get("/reports/?start=2026-03-02&end=2026-03-02").get_data(as_text=True)

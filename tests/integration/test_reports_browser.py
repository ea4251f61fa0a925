"""Real headless Chromium on the reports: a Chart.js chart with axes, titles and a legend (no
hand-drawn blocks), numbers a manager reads, the in-page recording player; no server or page error."""
from __future__ import annotations

import re

import pytest

from tests.browser import MARKS, browser  # noqa: F401
from tests.integration.test_web_reports import app, calls  # noqa: F401
from tests.web_fixtures import LiveServer, sqlite_url  # noqa: F401

pytestmark = MARKS


@pytest.fixture
def server(app, calls):  # noqa: F811
    with LiveServer(app) as running:
        yield running


def supervisor_page(browser, server):  # noqa: F811
    page = browser.new_page(viewport={"width": 1366, "height": 900})   # a laptop
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))
    page.goto(f"{server.url}/login")
    page.fill("#username", "supervisor")
    page.fill("#password", "supervisor")
    page.click("#login-button")
    page.wait_for_url(re.compile(r".*/supervisor/.*|.*/$"))
    return page, errors


def test_call_report_chart_units_and_recording_player(browser, server, sqlite_url):  # noqa: F811
    from tests.integration.test_agent_report_dates import _history
    from records.db import session_factory

    _history(session_factory(sqlite_url), "alice")     # a break on the report's day
    page, errors = supervisor_page(browser, server)
    page.goto(f"{server.url}/reports/?start=2026-03-02&end=2026-03-02&interval=day&by=queue")
    page.wait_for_selector("#report-chart", timeout=10000)
    chart = page.evaluate("""() => { const c = window.hotlineReportChart;
        return {datasets: c.data.datasets.map(d => d.label), legend: c.options.plugins.legend.position,
                x: c.options.scales.x.title.text, calls: c.options.scales.calls.title.text,
                percent: c.options.scales.percent.title.text, drawn: c.canvas.width > 0}; }""")
    assert chart == {"datasets": ["Offered", "Answered", "Service level (%)"], "legend": "top", "x": "Period",
                     "calls": "Calls", "percent": "Service level (%)", "drawn": True}
    assert page.text_content("th[data-column=aht_s]") == "Avg. handle time"
    cells = page.eval_on_selector_all("td[data-column=service_level], td[data-column=asa_s]",
                                      "els => els.map(e => e.textContent)")
    assert cells and all(re.fullmatch(r"\d+\.\d %|\d+:\d\d", c) for c in cells if c), cells
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")   # no sideways page scroll
    page.screenshot(path="docs/screens/reports-calls.png", full_page=True)

    page.goto(f"{server.url}/reports/calls/w-s1")
    page.wait_for_selector("audio#recording-player", state="attached", timeout=10000)
    assert page.get_attribute("audio#recording-player", "src") == "/reports/calls/w-s1/recording"
    assert page.evaluate("fetch('/reports/calls/w-s1/recording').then(r => r.status)") == 200
    page.screenshot(path="docs/screens/reports-call-timeline.png", full_page=True)

    page.goto(f"{server.url}/reports/agents?start=2026-03-02&end=2026-03-02&interval=day")
    page.wait_for_selector("#agent-chart", timeout=10000)
    agent_chart = page.evaluate("""() => { const c = window.hotlineAgentChart;
        return {labels: c.data.labels, datasets: c.data.datasets.map(d => d.label),
                y: c.options.scales.y.title.text}; }""")
    assert agent_chart == {"labels": ["alice"], "datasets": ["Idle", "On call", "Wrap-up", "Break", "Not ready"],
                           "y": "Minutes"}
    page.screenshot(path="docs/screens/reports-agents.png", full_page=True)
    assert errors == []


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database_server(request, sqlite_url, redis_url, redis_prefix, monkeypatch, tmp_path):  # noqa: F811
    """The console on SQLite or on PostgreSQL (migrated, seeded), with the report fixture's calls
    (tagged, so other tests' rows in the same PostgreSQL database do not meet them) and a break."""
    import uuid

    from control.config import load_config
    from records.db import make_engine, session_factory
    from records.migrate import ensure_schema
    from records.models import Base
    from records.seed import seed
    from tests.integration.test_agent_report_dates import _history
    from tests.integration.test_report_queries import load
    from tests.web_fixtures import build_app
    from web import create_app

    if request.param == "sqlite":
        url = sqlite_url
        app = build_app(url, redis_url=redis_url, redis_prefix=redis_prefix)
        engine = make_engine(url)
        Base.metadata.create_all(engine)    # as the other report tests: the models' tables
        engine.dispose()
    else:
        url = request.getfixturevalue("pg_database_url")
        ensure_schema(url)
        seed(session_factory(url))
        app = create_app(load_config(env={}), database_url=url, redis_url=redis_url, redis_prefix=redis_prefix,
                         TESTING=True, WTF_CSRF_ENABLED=False, SSE_HEARTBEAT_S=1, esl_port=1,
                         freeswitch_conf_dir=str(tmp_path / "freeswitch-conf"))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    sessions = session_factory(url)
    tag = f"r{uuid.uuid4().hex[:5]}"
    load(sessions, tag)
    _history(sessions, "alice")
    with LiveServer(app) as running:
        running.tag, running.database = tag, request.param
        yield running


def test_every_report_chart_export_and_drill_down_on_both_databases(browser, any_database_server):  # noqa: F811
    """Call, agent and missing-disposition reports render with their charts and no server error on
    SQLite and PostgreSQL; each offers CSV and a real Excel workbook; the agent report opens that
    agent's calls, a call opens its timeline in plain words."""
    server, tag = any_database_server, any_database_server.tag
    page, errors = supervisor_page(browser, server)
    day = "start=2026-03-02&end=2026-03-02"

    def downloads(selector: str) -> None:
        for link, kind in ((f"{selector}#export-csv", "text/csv"), (f"{selector}#export-xlsx", "spreadsheetml")):
            response = page.request.get(server.url + page.get_attribute(link, "href"))
            assert response.status == 200 and kind in response.headers["content-type"], link
            body = response.body()
            assert body[:2] == b"PK" if kind == "spreadsheetml" else body.splitlines()[0].count(b",") > 2

    for by in ("queue", "agent", "did"):
        page.goto(f"{server.url}/reports/?{day}&interval=hour&by={by}")
        page.wait_for_selector("#report-chart", timeout=10000)
        assert page.evaluate("() => window.hotlineReportChart.canvas.width > 0")
        downloads("")
        if by == "queue":
            assert f"{tag}-support" in page.text_content("table.report")

    page.goto(f"{server.url}/reports/agents?{day}&interval=day")
    page.wait_for_selector("#agent-chart", timeout=10000)
    assert page.evaluate("() => window.hotlineAgentChart.data.labels").count("alice") == 1
    downloads("")
    page.click('tr[data-agent="alice"] td[data-column=agent_id] a')      # drill down: alice's calls that day
    page.wait_for_selector(f'#calls tr[data-call="{tag}-s1"]', timeout=10000)
    listed = page.eval_on_selector_all("#calls tr[data-call]", "rows => rows.map(r => r.dataset.call)")
    assert {f"{tag}-s1", f"{tag}-b1", f"{tag}-b2"} <= set(listed) and f"{tag}-s2" not in listed   # s2 is bob's
    downloads("")
    if server.database == "sqlite":
        page.screenshot(path="docs/screens/reports-agent-calls.png", full_page=True)
    page.click(f'#calls tr[data-call="{tag}-b2"] a')                      # one call's timeline in words
    page.wait_for_selector("#timeline li", timeout=10000)
    timeline = page.text_content("#timeline")
    items = page.eval_on_selector_all("#timeline li", "els => els.map(e => e.textContent.slice(20))")
    assert items == ["called +18005550100", "answered by alice (after 0:05)"], timeline

    page.goto(f"{server.url}/reports/missing-dispositions?{day}")
    page.wait_for_selector("#missing", timeout=10000)
    downloads("")
    if server.database == "sqlite":
        page.screenshot(path="docs/screens/reports-missing-dispositions.png", full_page=True)
    assert errors == []

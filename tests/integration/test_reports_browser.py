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

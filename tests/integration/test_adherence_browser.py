"""Real headless Chromium: a planner imports shifts as CSV, the workforce page draws the coverage
against the requirement, and the wallboard flags an agent who has been out of the scheduled activity
for longer than the grace minutes. Screenshots: docs/screens/workforce-shifts.png, wallboard-adherence.png."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.browser import MARKS, browser  # noqa: F401
from tests.web_fixtures import LiveServer, build_app, sqlite_url  # noqa: F401

pytestmark = MARKS


@pytest.fixture
def server(sqlite_url, tmp_path):  # noqa: F811
    app = build_app(sqlite_url)
    with LiveServer(app) as running:
        running.app = app
        yield running


def test_shifts_coverage_and_the_wallboard_flag(browser, server, sqlite_url, tmp_path):  # noqa: F811
    from records import state_log
    from records.db import session_factory
    from reports.intervals import zone

    tz = zone(server.app.config["HOTLINE"].timezone)
    now = datetime.now(tz)
    begin = now - timedelta(hours=2)
    day = begin.date()
    csv = tmp_path / "shifts.csv"
    csv.write_text("agent,date,start,end,breaks\n"
                   f"alice,{day},{begin:%H:%M},{(now + timedelta(hours=4)):%H:%M},\n"
                   f"bob,{day},{begin:%H:%M},{(now + timedelta(hours=4)):%H:%M},"
                   f"{(now + timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1, minutes=30)):%H:%M}\n")
    sessions = session_factory(sqlite_url)
    state_log.append(sessions, "alice", "available", at=begin)
    state_log.append(sessions, "alice", "break", "coffee", at=now - timedelta(minutes=20))   # unscheduled break
    state_log.append(sessions, "bob", "available", at=begin)

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: "/workforce/" in r.url and r.status >= 400 and errors.append(f"{r.status} {r.url}"))
    page.goto(f"{server.url}/login")
    page.fill("#username", "supervisor")
    page.fill("#password", "supervisor")
    page.click("#login-button")
    page.wait_for_url(re.compile(r".*/supervisor/.*|.*/$"))

    page.goto(f"{server.url}/workforce/shifts?date={day}")
    page.set_input_files("#import-shifts input[name=file]", str(csv))
    page.click("#import-shifts button[type=submit]")
    page.wait_for_selector("#shifts tr[data-agent=bob]", timeout=10000)
    assert page.locator("#shifts tbody tr").count() == 2
    page.screenshot(path="docs/screens/workforce-shifts.png", full_page=True)

    page.goto(f"{server.url}/workforce/?queue=support&start={day}&days=1")
    page.wait_for_selector("#workforce-chart", timeout=10000)
    labels = page.evaluate("() => window.hotlineWorkforceChart.data.datasets.map(d => d.label)")
    assert labels[-1] == "Agents on shifts"
    assert page.evaluate("() => Math.max(...window.hotlineWorkforceChart.data.datasets[3].data)") == 2

    page.goto(f"{server.url}/supervisor/")
    page.wait_for_selector("#adherence-flags li[data-agent=alice]", timeout=20000)
    text = page.text_content("#adherence-flags li[data-agent=alice]")
    assert "scheduled on the phones, is on a break for 20 min" in text
    assert page.locator("#adherence-flags li[data-agent=bob]").count() == 0
    page.locator("#adherence").screenshot(path="docs/screens/wallboard-adherence.png")
    assert [e for e in errors if "adherence" in e or "workforce" in e] == []

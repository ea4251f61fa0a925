"""The agent report on SQLite and PostgreSQL: SQLite gives back naive datetimes, PostgreSQL aware
ones; records/state_log.read compares them with the report's aware bounds (HTTP 500 before)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.integration.test_web_reports import app, client  # noqa: F401
from tests.web_fixtures import sqlite_url  # noqa: F401

pytestmark = pytest.mark.integration

DAY = datetime(2026, 3, 2, tzinfo=timezone.utc)


def _history(sessions, agent_id: str) -> None:
    from records import state_log

    state_log.append_many(sessions, [(agent_id, "available", None, DAY - timedelta(hours=1)),   # before the day
                                     (agent_id, "break", "lunch", DAY + timedelta(hours=9)),
                                     (agent_id, "available", None, DAY + timedelta(hours=9, minutes=30))])


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_state_log_read_compares_aware_bounds(database, sqlite_sessions, pg_sessions):
    from records import state_log

    sessions = sqlite_sessions if database == "sqlite" else pg_sessions
    agent = f"dates-{database}"
    _history(sessions, agent)
    rows = state_log.read(sessions, DAY, DAY + timedelta(days=1), agent)
    assert [(r.state, r.at) for r in rows] == [("available", DAY - timedelta(hours=1)),
                                               ("break", DAY + timedelta(hours=9)),
                                               ("available", DAY + timedelta(hours=9, minutes=30))]
    shanghai = timezone(timedelta(hours=8))   # bounds in the business time zone are the same instants
    assert len(state_log.read(sessions, DAY.astimezone(shanghai), (DAY + timedelta(days=1)).astimezone(shanghai),
                              agent)) == 3


def test_the_agent_report_page_renders_on_sqlite(app, sqlite_url):  # noqa: F811
    from records.db import session_factory

    _history(session_factory(sqlite_url), "alice")
    page = client(app, "supervisor").get("/reports/agents?start=2026-03-02&end=2026-03-02&interval=day")
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    assert "alice" in page.get_data(as_text=True)


def test_reports_are_in_the_navigation_for_supervisors(app):  # noqa: F811
    nav = client(app, "supervisor").get("/callbacks/").get_data(as_text=True).split("</nav>")[0]
    assert 'href="/reports/"' in nav and 'href="/reports/agents"' in nav
    agent_nav = client(app, "alice").get("/agent/").get_data(as_text=True).split("</nav>")[0]
    assert "/reports/" not in agent_nav


def test_the_reports_are_translated(app):  # noqa: F811
    sup = client(app, "supervisor")
    page = sup.get("/reports/?start=2026-03-02&end=2026-03-02", headers={"Accept-Language": "zh-CN"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "呼叫报表" in html and "坐席报表" in html

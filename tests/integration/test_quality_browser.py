"""Real headless Chromium on the evaluator's page: a call recorded as a stereo WAV (espeak-ng speech on
each side) is analysed by the real job (WebRTC VAD, PocketSphinx), then a supervisor sees the player,
the transcript and the speech/silence timeline, answers the manual criteria and saves; the agent
acknowledges it on her own page. Screenshots: docs/screens/quality-evaluate.png, quality-report.png."""
from __future__ import annotations

import re
import time

import pytest

from tests.browser import MARKS, browser  # noqa: F401
from tests.quality_audio import needs_espeak, write_call
from tests.web_fixtures import LiveServer, build_app, sqlite_url  # noqa: F401

pytestmark = MARKS + [needs_espeak]


@pytest.fixture
def server(sqlite_url, tmp_path):  # noqa: F811
    from records.calls import CallRecordWriter
    from records.db import session_factory
    from records.quality_config import load_quality
    from worker.quality import analyse_call

    app = build_app(sqlite_url)
    app.config["HOTLINE"] = app.config["HOTLINE"].replace(recordings_dir=str(tmp_path))
    path = tmp_path / "2026" / "q-browser.wav"
    write_call(path, 24.0, [(5.5, "Hello, I have a question about my invoice"), (15.0, "Yes that is right")],
               [(1.0, "Thank you for calling Hotline, my name is Alice"),
                (9.0, "This call is recorded for quality and training"), (14.5, "I can see the payment")],
               rate=16000)
    now = time.time()
    sessions = session_factory(sqlite_url)
    CallRecordWriter(sessions).write({
        "call_id": "q-browser", "caller": "+14155550100", "did": "+18005550100", "customer_id": None,
        "queue": "support", "agent_id": "alice", "ivr_path": [], "entered_at": now - 40, "offered_at": now - 35,
        "answered_at": now - 30, "ended_at": now, "wait_s": 10.0, "talk_s": 30.0, "outcome": "answered",
        "hangup_cause": "NORMAL_CLEARING", "disposition": None, "recording_path": str(path), "offers": ["alice"],
        "explanations": [], "language": "en", "priority": 0, "tier": None})
    assert analyse_call("q-browser", sessions, load_quality("queues")) == "analysed"
    with LiveServer(app) as running:
        yield running


def signed_in(browser, server, username):  # noqa: F811
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 500 and errors.append(f"{r.status} {r.url}"))
    page.goto(f"{server.url}/login")
    page.fill("#username", username)
    page.fill("#password", username)
    page.click("#login-button")
    page.wait_for_url(re.compile(r".*/(supervisor|agent)/.*|.*/$"))
    return page, errors


def test_a_supervisor_evaluates_a_call_and_the_agent_acknowledges(browser, server):  # noqa: F811
    page, errors = signed_in(browser, server, "supervisor")
    page.goto(f"{server.url}/quality/calls/q-browser")
    page.wait_for_selector("#speech-timeline", timeout=10000)
    assert page.get_attribute("audio#recording-player", "src") == "/reports/calls/q-browser/recording"
    assert page.evaluate("fetch('/reports/calls/q-browser/recording').then(r => r.status)") in (200, 206)
    assert page.locator("rect.seg.agent").count() == 3 and page.locator("rect.seg.caller").count() == 2
    assert page.locator("rect.over").count() >= 1
    assert "calling" in page.text_content("#transcript dd[data-side=agent]")
    assert page.get_attribute("#phrases li[data-phrase=greeting]", "class") == "ok"
    assert page.text_content("td[data-metric=first_agent_word_s]").startswith("1.")
    page.locator("rect.seg.caller").first.click()             # seeks the player (web/static/quality.js)
    assert page.evaluate("document.getElementById('recording-player').currentTime") > 4

    page.select_option("select[name=answer-empathy]", "4")
    page.select_option("select[name=answer-resolved]", "1")
    page.fill("textarea[name=comment]", "Clear and friendly; say the disclosure earlier.")
    page.screenshot(path="docs/screens/quality-evaluate.png", full_page=True)
    page.click("#evaluate button[type=submit]")
    page.wait_for_selector("#evaluations tr[data-evaluator=supervisor]", timeout=10000)
    assert re.fullmatch(r"\d+\.\d%", page.text_content("#evaluations tr[data-evaluator=supervisor] td:nth-child(2)"))

    page.goto(f"{server.url}/quality/?by=agent")
    page.wait_for_selector("#scores tr[data-key=alice]", timeout=10000)
    assert page.locator("#worst tr[data-call=q-browser]").count() == 1
    page.screenshot(path="docs/screens/quality-report.png", full_page=True)
    assert errors == []

    agent, agent_errors = signed_in(browser, server, "alice")
    agent.goto(f"{server.url}/quality/mine")
    agent.wait_for_selector("article.evaluation", timeout=10000)
    assert "say the disclosure earlier" in agent.text_content("article.evaluation")
    agent.click("article.evaluation button[value=acknowledge]")
    agent.wait_for_selector("article.evaluation[data-status=acknowledged]", timeout=10000)
    assert agent.goto(f"{server.url}/quality/calls/q-browser").status == 403    # no transcript for agents
    assert agent_errors == []

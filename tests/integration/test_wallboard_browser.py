"""Real headless Chromium: a supervisor's wallboard follows the `wallboard` stream live, and its
Listen button publishes the supervise request on the control channel."""
from __future__ import annotations

import json
import time

import pytest

from control.store.publisher import RedisPublisher
from tests.web_fixtures import live_server, redis_web_app, sqlite_url  # noqa: F401

from tests.browser import MARKS, browser  # noqa: F401,E402

pytestmark = MARKS


def _register_monitor_extension(app, username: str, extension: str) -> None:
    """What an admin does on Admin -> Users: the supervisor's own phone for listen/whisper/barge."""
    from sqlalchemy import select

    from records.models import User
    from web.extensions import db

    with app.app_context():
        db.session.scalar(select(User).where(User.username == username)).monitor_extension = extension
        db.session.commit()


def test_wallboard_is_live_and_listen_publishes_supervise(browser, live_server, redis_web_app, redis_client,
                                                          redis_prefix):
    from control.domain.models import Agent, AgentState, Call, CallState
    from control.store.redis_state import RedisState

    _register_monitor_extension(redis_web_app, "supervisor", "1009")
    store = RedisState(redis_client, redis_prefix)
    now = time.time()
    store.put_agent(Agent(id="alice", extension="1001", name="Alice", queues=["billing"],
                          state=AgentState.ON_CALL, call_id="c-talk", state_since=now - 5))
    store.put_call(Call(id="c-talk", caller="+14155550100", did="+18005550100", queue="billing",
                        state=CallState.CONNECTED, agent_id="alice"))

    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "supervisor")
    page.fill("#password", "supervisor")
    page.click("#login-button")
    page.wait_for_url(f"{live_server.url}/supervisor/")
    page.wait_for_selector("#conn-status.on", timeout=10000)      # the SSE stream is open
    assert page.text_content('#agents tr[data-agent="alice"] td.caller') == "+14155550100 · billing"
    assert not page.is_visible('#waiting tr[data-call="c-new"]')

    # a caller joins the queue: the controller stores it and publishes on the wallboard channel
    store.put_call(Call(id="c-new", caller="+14155550177", did="+18005550100", queue="billing",
                        state=CallState.QUEUED, entered_at=time.time() - 3))
    RedisPublisher(redis_client, redis_prefix).publish(
        "wallboard", {"type": "queued", "call_id": "c-new", "queue": "billing", "caller": "+14155550177"})
    page.wait_for_selector('#waiting tr[data-call="c-new"]', timeout=10000)   # no reload
    assert "+14155550177" in page.text_content("#event-log")
    assert page.text_content('#queues tr[data-queue="billing"] td:nth-child(2)') == "1"

    assert page.input_value("#sup-extension") == "1009"   # the registered one, not typed
    page.click('#agents tr[data-agent="alice"] button.listen')
    page.wait_for_selector("#action-status.ok", timeout=10000)
    entries = redis_client.xrange(f"{redis_prefix}:stream:control")
    messages = [json.loads(fields[b"data"]) for _id, fields in entries]
    wanted = {"type": "supervise", "agent_id": "alice", "extension": "1009", "mode": "listen",
              "supervisor": "supervisor"}
    assert [m for m in messages if wanted.items() <= m.items()], messages
    assert errors == []


def test_queue_tiles_human_state_names_and_events_in_words(browser, live_server, redis_web_app, redis_client,
                                                            redis_prefix, monkeypatch):
    import re

    from control.domain.models import Agent, AgentState, Call, CallState
    from control.store.redis_state import RedisState
    from records.models import Agent as AgentRow
    from tests.unit.test_web_supervisor import REGISTRATIONS
    from web import phones
    from web.extensions import db

    # alice took the browser phone and it is registered (webrtc); bob's desk phone is not registered
    with redis_web_app.app_context():
        db.session.get(AgentRow, "alice").phone = "browser"
        db.session.commit()
    monkeypatch.setattr(phones, "esl_api", lambda *a, **kw: REGISTRATIONS)

    store = RedisState(redis_client, redis_prefix)
    now = time.time()
    store.put_agent(Agent(id="alice", extension="1001", name="Alice", queues=["billing"],
                          state=AgentState.ON_CALL, call_id="c-talk", state_since=now - 75))
    store.put_agent(Agent(id="bob", extension="1002", name="Bob", queues=["billing"],
                          state=AgentState.BREAK, break_reason="lunch", state_since=now - 30))
    store.put_call(Call(id="c-talk", caller="+14155550100", did="+18005550100", queue="billing",
                        state=CallState.CONNECTED, agent_id="alice"))
    store.put_call(Call(id="c-wait", caller="+14155550177", did="+18005550100", queue="billing",
                        state=CallState.QUEUED, entered_at=now - 42))

    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "supervisor")
    page.fill("#password", "supervisor")
    page.click("#login-button")
    page.wait_for_url(f"{live_server.url}/supervisor/")
    page.wait_for_selector("#conn-status.on", timeout=10000)
    tile = '#queue-tiles article[data-queue="billing"]'
    assert page.text_content(f"{tile} .waiting strong") == "1"
    assert re.fullmatch(r"00:4\d", page.text_content(f"{tile} .longest strong"))
    assert "target" in page.text_content(f"{tile} .service-level span")
    assert page.text_content(f"{tile} .agents-by-state") == "Break 1 · On call 1"
    assert page.text_content('#agents tr[data-agent="bob"] td.state') == "Break · lunch"
    assert page.text_content('#agents tr[data-agent="alice"] td.state') == "On call"
    assert re.fullmatch(r"01:1\d", page.text_content('#agents tr[data-agent="alice"] td.since'))
    assert "on_call" not in page.text_content("#state-tiles")
    assert page.text_content('#agents tr[data-agent="alice"] td.phone') == "Browser · registered"
    assert page.text_content('#agents tr[data-agent="bob"] td.phone') == "Desk / SIP · not registered"

    publisher = RedisPublisher(redis_client, redis_prefix)
    publisher.publish(
        "wallboard", {"type": "state", "agent_id": "bob", "state": "available", "reason": None, "ts": time.time()})
    page.wait_for_selector("#event-log li", timeout=10000)
    assert page.text_content("#event-log li").endswith("Bob · Available")
    # the controller carried out this supervisor's listen, then the switch to whisper: shown as connected
    for mode in ("listen", "whisper"):
        publisher.publish("wallboard", {"type": "supervise", "mode": mode, "agent_id": "alice", "call_id": "c-talk",
                                        "supervisor": "supervisor"})
        page.wait_for_selector(f"#action-status[data-connected={mode}]", timeout=10000)
    assert page.text_content("#action-status") == "Connected to Alice (Whisper)"
    publisher.publish("wallboard", {"type": "supervise", "mode": "barge", "agent_id": "alice", "call_id": "c-talk",
                                    "supervisor": "supervisor", "error": "extension 1009 is not registered"})
    page.wait_for_selector("#action-status.error", timeout=10000)
    assert page.text_content("#action-status").endswith("extension 1009 is not registered")
    page.screenshot(path="docs/screens/wallboard.png", full_page=True)
    assert errors == []


def test_the_day_per_queue_is_a_chart_that_follows_new_calls(browser, live_server, redis_client, redis_prefix,
                                                             redis_web_app):
    from datetime import datetime, timedelta, timezone

    from records.models import Call as CallRecord
    from web.extensions import db

    def record(call_id, minutes_ago, answered):
        at = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
        with redis_web_app.app_context():
            db.session.add(CallRecord(call_id=call_id, queue="billing", entered_at=at, outcome="answered" if answered
                                      else "abandoned", answered_at=at + timedelta(seconds=5) if answered else None,
                                      wait_s=5.0, ivr_path=[], offers=[], explanations=[]))
            db.session.commit()

    minutes_into_today = datetime.now(timezone.utc).hour * 60 + datetime.now(timezone.utc).minute
    if minutes_into_today < 20:
        pytest.skip("too close to midnight for calls earlier today")
    record("t-1", 16, True)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login")
    page.fill("#username", "supervisor")
    page.fill("#password", "supervisor")
    page.click("#login-button")
    page.wait_for_url(f"{live_server.url}/supervisor/")
    page.wait_for_selector('#queue-charts figure[data-queue="billing"] canvas', timeout=10000)
    total = "() => window.hotlineQueueCharts.billing.data.datasets[0].data.reduce((a, b) => a + b, 0)"
    assert page.evaluate(total) == 1
    legend = page.evaluate("() => window.hotlineQueueCharts.billing.data.datasets.map(d => d.label)")
    assert legend == ["Offered per 15 min", "Service level (%)"]
    assert page.get_attribute("#wallboard", "data-alerts-sounded") is None   # 1 answered of 1: no alert

    record("t-2", 1, False)                               # a new call: the next event refreshes the chart
    RedisPublisher(redis_client, redis_prefix).publish(
        "wallboard", {"type": "call_ended", "call_id": "t-2", "outcome": "abandoned", "agent_id": None})
    for _ in range(50):
        if page.evaluate(total) == 2:
            break
        page.wait_for_timeout(200)
    assert page.evaluate(total) == 2
    # the abandoned call takes billing's abandon rate to 50 %: the alert shows and is sounded once
    page.wait_for_selector("#alerts .alert", timeout=10000)
    assert "abandon rate 50%" in page.text_content("#alerts")
    assert page.get_attribute("#wallboard", "data-alerts-sounded") == "2"   # with the service level under target
    page.screenshot(path="docs/screens/wallboard-charts.png", full_page=True)
    assert errors == []


@pytest.fixture
def alerting_server(sqlite_url, redis_url, redis_prefix, tmp_path):
    """The console with billing's alert thresholds set in its YAML (alerts:), as a deployment would."""
    import shutil
    from pathlib import Path

    import yaml

    from tests.web_fixtures import LiveServer, build_app

    folder = tmp_path / "queues"
    shutil.copytree(Path(__file__).resolve().parents[2] / "queues", folder)
    data = yaml.safe_load((folder / "billing.yaml").read_text())
    data["queues"]["billing"]["alerts"] = {"service_level_below": 0.0, "longest_wait_s": 30,
                                           "abandon_rate_above": 0.25}
    (folder / "billing.yaml").write_text(yaml.safe_dump(data))
    app = build_app(sqlite_url, redis_url=redis_url, redis_prefix=redis_prefix, queues_dir=str(folder),
                    WALLBOARD_KPI_CACHE_S=0)
    with LiveServer(app) as server:
        server.app = app
        yield server


def test_alerts_fire_at_the_queues_own_thresholds_sounded_unless_muted(browser, alerting_server, redis_client,
                                                                        redis_prefix):
    """billing's YAML: abandon rate over 25 %, a caller waiting over 0:30. Calls arrive one by one;
    the alert appears (and beeps once) only when a threshold is crossed; muted, it still shows."""
    from datetime import datetime, timedelta, timezone

    from control.domain.models import Agent, AgentState, Call, CallState
    from control.store.redis_state import RedisState
    from records.models import Call as CallRecord
    from web.extensions import db

    if datetime.now(timezone.utc).hour * 60 + datetime.now(timezone.utc).minute < 20:
        pytest.skip("too close to midnight for calls earlier today")
    publisher = RedisPublisher(redis_client, redis_prefix)

    def arrive(call_id, answered):
        at = datetime.now(timezone.utc) - timedelta(minutes=2)
        with alerting_server.app.app_context():
            db.session.add(CallRecord(call_id=call_id, queue="billing", entered_at=at, outcome="answered" if answered
                                      else "abandoned", answered_at=at + timedelta(seconds=5) if answered else None,
                                      wait_s=5.0, ivr_path=[], offers=[], explanations=[]))
            db.session.commit()
        publisher.publish("wallboard", {"type": "call_ended", "call_id": call_id,
                                        "outcome": "answered" if answered else "abandoned", "agent_id": None})

    def abandon_rate_is(text):
        cell = '#queues tr[data-queue="billing"] td:nth-child(6)'
        page.wait_for_function(f"() => (document.querySelector('{cell}') || {{}}).textContent === '{text}'",
                               timeout=10000)

    for i in range(3):
        arrive(f"a-{i}", True)
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{alerting_server.url}/login")
    page.fill("#username", "supervisor")
    page.fill("#password", "supervisor")
    page.click("#login-button")
    page.wait_for_url(f"{alerting_server.url}/supervisor/")
    page.wait_for_selector("#conn-status.on", timeout=10000)
    abandon_rate_is("0%")
    tile = page.text_content('#queue-tiles article[data-queue="billing"] .alert-limits')
    assert tile == "Alerts at: service level < 0% · wait > 00:30 · abandoned > 25%"
    assert page.text_content("#alerts").strip() == ""

    arrive("b-1", False)                       # 1 of 4 abandoned: 25 %, at the limit, not over it
    abandon_rate_is("25%")
    assert page.text_content("#alerts").strip() == ""
    assert page.get_attribute("#wallboard", "data-alerts-sounded") is None

    arrive("b-2", False)                       # 2 of 5: 40 % is over 25 %
    page.wait_for_selector("#alerts .alert", timeout=10000)
    assert page.text_content("#alerts .alert") == "billing: abandon rate 40% is over 25%"
    assert page.get_attribute("#wallboard", "data-alerts-sounded") == "1"
    assert "alerting" in page.get_attribute('#queue-tiles article[data-queue="billing"]', "class")

    page.click("#alert-mute")                  # muted: the next alert is shown, not sounded
    assert page.get_attribute("#alert-mute", "aria-pressed") == "true"
    assert page.text_content("#alert-mute") == "Unmute alert sound"
    store = RedisState(redis_client, redis_prefix)
    store.put_agent(Agent(id="alice", extension="1001", queues=["billing"], state=AgentState.ON_CALL,
                          state_since=time.time()))            # staffed: only the wait alert fires
    store.put_call(
        Call(id="w-1", caller="+14155550123", did="+18005550100", queue="billing", state=CallState.QUEUED,
             entered_at=time.time() - 40))
    publisher.publish("wallboard", {"type": "queued", "call_id": "w-1", "queue": "billing",
                                    "caller": "+14155550123"})
    page.wait_for_function("() => document.querySelectorAll('#alerts .alert').length === 2", timeout=10000)
    assert "billing: a caller has waited 40 s (limit 30 s)" in page.text_content("#alerts")
    assert page.get_attribute("#wallboard", "data-alerts-silenced") == "1"
    assert page.get_attribute("#wallboard", "data-alerts-sounded") == "1"
    page.screenshot(path="docs/screens/wallboard-alerts.png", full_page=True)
    page.reload()                              # the choice is kept in this browser
    page.wait_for_selector("#alert-mute[aria-pressed=true]", timeout=10000)
    assert errors == []

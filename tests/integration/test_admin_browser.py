"""Real headless Chromium, a controller process and the simulator: an admin creates an agent with
skills and a queue in the console, and the next call reaches that agent; a second admin's stale
save is refused. Screenshots go to docs/screens/."""
from __future__ import annotations

from pathlib import Path

import requests

from control.domain.models import AgentState
from tests.browser import MARKS, browser  # noqa: F401
from tests.integration.faultkit import live_state, rig, wait_for  # noqa: F401
from tests.web_fixtures import LiveServer, build_app

pytestmark = MARKS
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"


def _sign_in(page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", user)
    page.click("#login-button")
    page.wait_for_load_state()


def test_an_agent_created_in_the_console_takes_the_next_call(browser, rig, tmp_path):
    SCREENS.mkdir(parents=True, exist_ok=True)
    store = live_state(rig.redis_url, rig.prefix)
    rig.controller()
    app = build_app(f"sqlite:///{tmp_path / 'console.db'}", redis_url=rig.redis_url, redis_prefix=rig.prefix,
                    queues_dir=str(rig.tmp / "queues"))
    with LiveServer(app) as server:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _sign_in(page, server.url, "admin")
        page.goto(f"{server.url}/admin/agents")
        page.click("#new-agent")
        page.fill("#f-id", "erin")
        page.fill("#f-name", "Erin Diaz")
        page.fill("#f-extension", "1001")                    # alice's: refused next to the field
        page.select_option("#level-english", "7")
        page.fill("#f-queues", "support")
        page.click("#save-agent")
        page.wait_for_selector("#error-extension")
        assert "already agent alice's" in page.text_content("#error-extension")
        page.screenshot(path=str(SCREENS / "admin-agent-form-error.png"), full_page=True)
        page.fill("#f-extension", "1055")
        page.click("#save-agent")
        page.wait_for_selector("#sip-password")
        assert len(page.text_content("#sip-password").strip()) >= 20
        page.screenshot(path=str(SCREENS / "admin-agent-sip-password.png"), full_page=True)

        erin = wait_for(lambda: store.get_agent("erin"), 5, what="erin in live state")
        assert erin.skills == {"english": 7} and erin.queues == ["support"]
        rig.switch.add_phone("1055", answer_after=0.3, talk_time=0.5)
        supervisor = requests.Session()
        supervisor.post(f"{server.url}/login", data={"username": "supervisor", "password": "supervisor"})
        forced = supervisor.post(f"{server.url}/api/supervisor/agents/erin/state", json={"state": "available"})
        assert forced.status_code == 200, forced.text

        call = rig.switch.place_call(caller="+14155550300", did="+18005550100", patience=30)
        assert call.done.wait(20), rig.logs()
        records = wait_for(lambda: (r := rig.db.records()) and call.uuid in r and r, 10, what="the record")
        assert records[call.uuid].outcome == "answered" and records[call.uuid].agent_id == "erin"

        # two admins open erin's page; the second save, on what they saw before the first, is refused
        other = browser.new_page()
        _sign_in(other, server.url, "admin")
        page.goto(f"{server.url}/admin/agents/erin")
        other.goto(f"{server.url}/admin/agents/erin")
        page.fill("#f-name", "Erin D.")
        page.click("#save-agent")
        page.wait_for_selector("#agents")
        other.fill("#f-name", "Erin Diaz-Lee")
        other.click("#save-agent")
        other.wait_for_selector("#error-version")
        assert "changed since you opened it" in other.text_content("#error-version")
        other.screenshot(path=str(SCREENS / "admin-agent-conflict.png"), full_page=True)
        page.goto(f"{server.url}/admin/agents")
        assert "Erin D." in page.text_content("#agents") and "Diaz-Lee" not in page.text_content("#agents")
        page.screenshot(path=str(SCREENS / "admin-agents.png"), full_page=True)
        assert errors == []
    wait_for(lambda: store.get_agent("erin").state in (AgentState.WRAP_UP, AgentState.AVAILABLE), 5,
             what="erin free again")

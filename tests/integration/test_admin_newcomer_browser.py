"""Issue 17's newcomer path in real headless Chromium, with a controller process and the simulator:
from the console alone, an admin creates a supervisor and two agents with skills, builds a new
queue and a two-level menu on a new number, and the next call to that number reaches the right
agent. Nothing is edited on disk by hand; screenshots go to docs/screens/."""
from __future__ import annotations

import time
from pathlib import Path

from control.domain.models import AgentState
from tests.browser import MARKS, browser  # noqa: F401
from tests.integration.faultkit import live_state, rig, wait_for  # noqa: F401
from tests.web_fixtures import LiveServer, build_app

pytestmark = MARKS
SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"
DID = "+18005550177"
QUEUE = """queues:
  returns:
    strategy: top-down
    requirements: {billing: 5}
    ring_timeout_s: 5
    wrap_up_s: 1
    announce_every_s: 0
    record: false
"""
FLOW = """name: returns_menu
languages: [en]
prompts:
  top: {en: "For orders, press 1."}
  orders: {en: "For a return, press 1."}
nodes:
  top:
    type: menu
    prompt: top
    options: {"1": orders}
    timeout_s: 3
  orders:
    type: menu
    prompt: orders
    options: {"1": returns}
    timeout_s: 3
  returns: {type: queue, queue: returns}
"""
DIDS = f"""default: front
dids:
  "{DID}": returns_menu
"""


def _save_file(page, base: str, kind: str, name: str, text: str, broken: str | None = None) -> None:
    page.goto(f"{base}/admin/files/")
    page.fill(f"#new-{'queue' if kind == 'queues' else 'flow'}-file", name)
    page.press(f"#new-{'queue' if kind == 'queues' else 'flow'}-file", "Enter")
    page.wait_for_selector("#file-text")
    if broken is not None:   # typed wrong first: the problem shows with its line, and saving is refused
        page.fill("#file-text", broken)
        page.wait_for_selector("#problems.error li")
        page.screenshot(path=str(SCREENS / "admin-flow-editor-error.png"), full_page=True)
        page.click("#save-file")
        page.wait_for_selector("#problems.error li")
        assert f"{name}.yaml" in page.text_content("#problems")
    page.fill("#file-text", text)
    page.click("#save-file")
    page.wait_for_selector(".flash.ok")


def _new_agent(page, base: str, agent_id: str, extension: str, levels: dict[str, str]) -> None:
    page.goto(f"{base}/admin/agents/new")
    page.fill("#f-id", agent_id)
    page.fill("#f-name", agent_id.title())
    page.fill("#f-extension", extension)
    for skill, level in levels.items():
        page.select_option(f"#level-{skill}", level)
    page.fill("#f-queues", "returns")
    page.click("#save-agent")
    page.wait_for_selector("#sip-password")


def test_newcomer_builds_a_queue_a_menu_and_agents_and_the_call_reaches_the_right_agent(browser, rig, tmp_path):
    SCREENS.mkdir(parents=True, exist_ok=True)
    store = live_state(rig.redis_url, rig.prefix)
    rig.controller()
    app = build_app(f"sqlite:///{tmp_path / 'console.db'}", redis_url=rig.redis_url, redis_prefix=rig.prefix,
                    queues_dir=str(rig.tmp / "queues"), flows_dir=str(rig.tmp / "flows"))
    with LiveServer(app) as server:
        base = server.url
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/login")
        page.fill("#username", "admin")
        page.fill("#password", "admin")
        page.click("#login-button")
        page.wait_for_load_state()

        page.goto(f"{base}/admin/users")
        page.fill("#new-username", "sam")
        page.select_option("#new-role", "supervisor")
        page.click("#create-user")
        page.wait_for_selector("#temporary-password")
        page.screenshot(path=str(SCREENS / "admin-user-created.png"), full_page=True)

        _save_file(page, base, "queues", "returns", QUEUE)
        _save_file(page, base, "flows", "returns_menu", FLOW, broken=FLOW.replace('"1": orders', '"1": order'))
        page.screenshot(path=str(SCREENS / "admin-flow-editor.png"), full_page=True)
        page.goto(f"{base}/admin/files/flows/dids")
        page.fill("#file-text", DIDS)
        page.click("#save-file")
        page.wait_for_selector(".flash.ok")

        _new_agent(page, base, "erin", "1055", {"english": "5", "billing": "6"})
        _new_agent(page, base, "fred", "1066", {"english": "8"})
        assert errors == []

    for extension in ("1055", "1066"):
        rig.switch.add_phone(extension, answer_after=0.3, talk_time=0.5)
    for agent in ("erin", "fred"):
        store.set_agent_state(agent, AgentState.AVAILABLE, time.time())   # as their consoles would
    time.sleep(2.5)   # the controller reloads queues and flows every reconcile interval (1 s here)
    call = rig.switch.place_call(caller="+14155550300", did=DID, inputs=["1", "1"], patience=30)
    assert call.done.wait(25), rig.logs()
    record = wait_for(lambda: (r := rig.db.records()) and call.uuid in r and r[call.uuid], 10, what="the record")
    assert (record.outcome, record.queue, record.agent_id) == ("answered", "returns", "erin"), record.ivr_path
    assert [step for step in record.ivr_path if "menu" in step][:2] == ["menu top: pressed 1", "menu orders: pressed 1"]

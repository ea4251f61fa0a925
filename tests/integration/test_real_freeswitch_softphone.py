"""The browser phone on a real FreeSWITCH: headless Chromium (fake microphone) runs
web/static/softphone.js with the vendored JsSIP, registers over WSS to the webrtc profile (a
self-signed certificate, so --ignore-certificate-errors) as a directory user, and takes a call from
the switch: auto-answered, DTLS-SRTP up, audio both ways (the echo application sends the browser's
own sound back; WebRTC's counters in both directions), then hung up by the page.

Skipped by name without HOTLINE_FREESWITCH_BIN (a freeswitch binary) or without openssl."""
from __future__ import annotations

import functools
import os
import re
import shutil
import threading
import time
from http.server import ThreadingHTTPServer

import pytest

from control.bench.fsboot import boot, free_port, stop
from control.config import ROOT
from tests.browser import ARGS, CHROMIUM
from tests.integration.test_real_freeswitch_wss import self_signed
from tests.integration.test_softphone_browser import Handler

BIN = os.environ.get("HOTLINE_FREESWITCH_BIN", "")
pytestmark = [pytest.mark.skipif(not BIN, reason="set HOTLINE_FREESWITCH_BIN to a freeswitch binary"),
              pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is missing"),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed")]

BROWSER_ARGS = ARGS + ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                       "--ignore-certificate-errors",
                       # host candidates as addresses, not mDNS names FreeSWITCH cannot resolve
                       "--disable-features=WebRtcHideLocalIpsWithMdns"]
# Every SIP message over the page's WebSocket, both ways, for tests/captures/ (HOTLINE_RECORD_CAPTURE=1).
RECORD_WS = """(() => {
  window.sipLog = [];
  const Native = window.WebSocket;
  window.WebSocket = function (url, protocols) {
    const ws = new Native(url, protocols);
    const send = ws.send.bind(ws);
    ws.send = (data) => { window.sipLog.push(["browser", String(data)]); send(data); };
    ws.addEventListener("message", (e) => window.sipLog.push(["freeswitch", String(e.data)]));
    return ws;
  };
  Object.assign(window.WebSocket, Native);
  window.WebSocket.prototype = Native.prototype;
})();"""
CAPTURE = ROOT / "tests" / "captures" / "freeswitch_webrtc.sip"

USER = """<include>
  <user id="1001">
    <params><param name="password" value="browser-secret"/></params>
    <variables><variable name="user_context" value="internal"/></variables>
  </user>
</include>
"""


@pytest.fixture(scope="module")
def switch(tmp_path_factory):
    base = tmp_path_factory.mktemp("fssoftphone")
    self_signed(base / "tls")
    port = free_port()
    sw = boot(BIN, base, site={"HOTLINE_WSS_BINDING": f"127.0.0.1:{port}", "HOTLINE_TLS_DIR": base / "tls"})
    sw.extra["wss_port"] = port
    (sw.conf / "directory" / "agents").mkdir(exist_ok=True)
    (sw.conf / "directory" / "agents" / "1001.xml").write_text(USER)
    assert sw.api("reloadxml").startswith("+OK")
    yield sw
    stop(sw.proc)


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(ROOT / "web" / "static")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def record(log: list, port: int) -> None:
    """The exchange as tests/captures/freeswitch_webrtc.sip: messages separated by a line
    "=== <from> ===", the password's digest kept (a test user's), this run's port made neutral."""
    CAPTURE.parent.mkdir(exist_ok=True)
    CAPTURE.write_text("".join(f"=== {who} ===\n{text.replace(str(port), '7443')}\n" for who, text in log),
                       encoding="utf-8")


STATS = """async () => {
  const pc = window.phone.session && window.phone.session.connection;
  if (!pc) return null;
  const out = {sent: 0, received: 0, dtls: ""};
  (await pc.getStats()).forEach(r => {
    if (r.type === "outbound-rtp" && r.kind === "audio") out.sent += r.packetsSent;
    if (r.type === "inbound-rtp" && r.kind === "audio") out.received += r.packetsReceived;
    if (r.type === "transport") out.dtls = r.dtlsState;
  });
  return out;
}"""


def audio_flowing(page, packets: int, timeout: float = 20.0) -> dict:
    """The page's call, once more than ``packets`` went each way over a connected DTLS transport:
    WebRTC's counters (STATS)."""
    deadline, stats = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        stats = page.evaluate(STATS)
        if stats and stats["sent"] > packets and stats["received"] > packets:
            break
        time.sleep(0.5)
    assert stats and stats["dtls"] == "connected" and stats["sent"] > packets and stats["received"] > packets, stats
    return stats


def test_chromium_registers_over_wss_and_takes_a_call_with_audio_both_ways(switch, site):
    from playwright.sync_api import sync_playwright

    mark = switch.log_mark()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.add_init_script(RECORD_WS)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            # What web/agent_states.py asks before letting a browser-phone agent be available.
            assert switch.api(f"sofia_contact webrtc/1001@{switch.domain}").startswith("error/")
            page.goto(site + "/harness.html")
            page.evaluate("a => window.phone.start(a)", {
                "ws_url": f"wss://127.0.0.1:{switch.extra['wss_port']}", "uri": f"sip:1001@{switch.domain}",
                "authorization_user": "1001", "password": "browser-secret", "display_name": "Alice",
                "auto_answer": True})
            page.wait_for_function("window.phone.state === 'registered'", timeout=20_000)
            reg = switch.api("sofia status profile webrtc reg")
            assert re.search(r"^User:\s+1001@" + re.escape(switch.domain), reg, re.M), reg
            assert "transport=ws" in reg, reg
            assert switch.api(f"sofia_contact webrtc/1001@{switch.domain}").startswith("sofia/webrtc/")

            # The switch calls the agent's phone as Hotline does (user/<ext>); echo sends the audio back.
            reply = switch.api("bgapi originate {origination_caller_id_number=+14155550100}user/1001 &echo")
            assert reply.startswith("+OK"), reply
            page.wait_for_function("window.phone.state === 'in_call'", timeout=20_000)
            audio_flowing(page, 50)
            channels = switch.api("show channels")
            assert "OPUS" in channels or "opus" in channels, channels    # Opus toward the browser

            assert page.evaluate("window.phone.hangup()") is True
            page.wait_for_function("window.phone.state === 'registered'", timeout=10_000)
            assert errors == []
            if os.environ.get("HOTLINE_RECORD_CAPTURE"):
                record(page.evaluate("window.sipLog"), switch.extra["wss_port"])
        finally:
            browser.close()
    assert switch.bad_log_lines(mark) == []


def test_a_registration_drop_makes_the_agent_not_ready_and_the_return_available(switch, site):
    """The controller's component (control/handlers/browser_phones.py) on the switch's own events:
    the page unregisters (a clean stop) → not-ready phone_offline; registers again → available; the
    tab's WebSocket cut without a word → not-ready again."""
    from playwright.sync_api import sync_playwright

    from control.domain.models import Agent, AgentState
    from control.handlers.agent_states import AgentStates
    from control.handlers.browser_phones import EVENTS, BrowserPhones
    from control.store.memory_state import MemoryState
    from control.store.publisher import MemoryPublisher
    from tests.integration.realswitch import Events

    store = MemoryState()
    store.put_agent(Agent(id="alice", extension="1001", state=AgentState.AVAILABLE))
    rows: list[tuple] = []

    class History:
        def put(self, agent_id, state, reason, at):
            rows.append((agent_id, state, reason))

    states = AgentStates(store, History(), MemoryPublisher(), time.time, lambda a: None, lambda: {}, 10)
    phones = BrowserPhones(store, states, switch.api, switch.domain)
    events = Events(switch.esl_port, switch.password, EVENTS)
    account = {"ws_url": f"wss://127.0.0.1:{switch.extra['wss_port']}", "uri": f"sip:1001@{switch.domain}",
               "authorization_user": "1001", "password": "browser-secret", "display_name": "Alice"}

    def feed(subclass: str, since: int) -> int:
        event = events.wait(subclass, lambda e: e.get("Event-Subclass") == subclass and
                            e.get("profile-name") == "webrtc" and events.seen.index(e) >= since, timeout=30)
        phones.handle(event["Event-Subclass"], event.get("username") or event.get("from-user", ""))
        return len(events.seen)

    def state() -> str:
        return store.get_agent("alice").state.value

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_page()
            page.goto(site + "/harness.html")
            page.evaluate("a => window.phone.start(a)", account)
            page.wait_for_function("window.phone.state === 'registered'", timeout=20_000)
            seen = feed("sofia::register", 0)
            assert state() == "available"
            page.evaluate("window.phone.stop()")
            seen = feed("sofia::unregister", seen)
            assert state() == "not_ready" and rows[-1] == ("alice", "not_ready", "phone_offline")

            page2 = browser.new_page()
            page2.goto(site + "/harness.html")
            page2.evaluate("a => window.phone.start(a)", account)
            page2.wait_for_function("window.phone.state === 'registered'", timeout=20_000)
            seen = feed("sofia::register", seen)
            assert state() == "available"
            page.close()
            page2.close()          # the WebSocket closes without an un-REGISTER
            subclass = events.wait("a drop", lambda e: e.get("Event-Subclass") in ("sofia::unregister", "sofia::expire")
                                   and events.seen.index(e) >= seen, timeout=30)["Event-Subclass"]
            phones.handle(subclass, "1001")
            assert state() == "not_ready", (subclass, switch.api(f"sofia_contact webrtc/1001@{switch.domain}"), events.seen[-3:])
        finally:
            browser.close()

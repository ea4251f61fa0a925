"""The browser phone's state machine (web/static/softphone.js with the vendored JsSIP) in real headless
Chromium against a scripted SIP-over-WebSocket peer (tests/sip_ws_peer.py): register with a digest
challenge, ring, answer, hold, hang-up, auto-answer, a lost WebSocket, a refused registration, a denied
microphone and a second tab."""
from __future__ import annotations

import functools
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from control.config import ROOT
from tests.browser import ARGS, CHROMIUM, MARKS
from tests.web_fixtures import sqlite_url, web_app  # noqa: F401
from tests.sip_ws_peer import Dialog, SipWsPeer, captured, header, retarget

pytestmark = MARKS

MEDIA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]

HARNESS = """<!doctype html><meta charset="utf-8"><title>softphone</title>
<audio id="a" autoplay></audio>
<script src="/vendor/jssip/jssip.min.js"></script>
<script src="/softphone.js"></script>
<script>
  window.states = [];
  window.phone = new HotlineSoftphone({agent: "alice", audio: document.getElementById("a"), autoAnswerMs: 200,
                                       tabWaitMs: 300, onchange: function (s, d) { window.states.push(s); }});
</script>"""


class Handler(SimpleHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/harness.html":
            body = HARNESS.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Handler, directory=str(ROOT / "web" / "static")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def peer():
    p = SipWsPeer()
    yield p
    p.close()


@pytest.fixture
def media_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS + MEDIA)
        yield b
        b.close()


def account(peer: SipWsPeer, auto_answer: bool = False) -> dict:
    return {"ws_url": peer.url, "uri": "sip:1001@hotline.test", "authorization_user": "1001",
            "password": "secret", "display_name": "Alice", "phone": "browser", "auto_answer": auto_answer,
            "enabled": True}


def start(page, site, peer, auto_answer=False):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(site + "/harness.html")
    page.evaluate("a => window.phone.start(a)", account(peer, auto_answer))
    return errors


def wait_state(page, state: str, timeout: float = 10_000) -> None:
    page.wait_for_function("s => window.phone.state === s", arg=state, timeout=timeout)


def test_registers_rings_answers_holds_and_hangs_up(media_browser, site, peer):
    page = media_browser.new_page()
    errors = start(page, site, peer)
    wait_state(page, "registered")
    first, second = peer.wait_for("REGISTER"), peer.wait_for("REGISTER")
    assert "\r\nAuthorization:" not in first                     # then the digest answer to the 401
    assert '\r\nAuthorization: Digest algorithm=MD5, username="1001", realm="hotline.test"' in second, second
    assert peer.registrations == 1

    call = Dialog(peer, "1001")
    call.invite()
    wait_state(page, "ringing")
    assert page.evaluate("window.phone.ringing") is True          # the page rings (no auto-answer)
    assert page.evaluate("window.phone.answer()") is True
    ok = call.answered()
    assert "a=fingerprint:sha-256" in ok and "a=setup:active" in ok and "UDP/TLS/RTP/SAVPF" in ok   # DTLS-SRTP
    call.ack()
    wait_state(page, "in_call")
    assert page.evaluate("window.phone.mute(true)") is True
    assert page.evaluate("window.phone.muted") is True
    assert page.evaluate("window.phone.dtmf('x')") is False       # only 0-9 * # A-D

    page.evaluate("window.phone.hold(true)")
    reinvite = peer.wait_for("INVITE")
    assert "a=sendonly" in reinvite
    peer.send(SipWsPeer.response(reinvite, "200 OK", ["Contact: <sip:mod_sofia@127.0.0.1;transport=ws>",
                                                      "Content-Type: application/sdp"],
                                 body=_hold_answer()))
    wait_state(page, "on_hold")

    call.bye()
    wait_state(page, "registered")
    assert page.evaluate("window.states") == ["registering", "registered", "ringing", "in_call", "on_hold", "registered"]
    assert errors == []


def _hold_answer() -> str:
    from tests.sip_ws_peer import OFFER_SDP

    return OFFER_SDP.replace("a=sendrecv", "a=recvonly").replace("a=setup:actpass", "a=setup:passive")


def test_auto_answer_whispers_and_answers(media_browser, site, peer):
    page = media_browser.new_page()
    start(page, site, peer, auto_answer=True)
    wait_state(page, "registered")
    call = Dialog(peer, "1001")
    call.invite()
    call.answered()
    call.ack()
    wait_state(page, "in_call")
    assert page.evaluate("window.phone.ringing") is not True


def test_the_queues_auto_answer_wins_over_the_agents_choice(media_browser, site, peer):
    """The controller puts the queue's auto_answer in the INVITE's Alert-Info (actions.ALERT_INFO):
    true answers although the agent chose to ring, false rings although the agent chose auto-answer."""
    from control.handlers.actions import ALERT_INFO

    page = media_browser.new_page()
    start(page, site, peer, auto_answer=False)
    wait_state(page, "registered")
    call = Dialog(peer, "1001")
    call.invite([f"Alert-Info: {ALERT_INFO[True]}"])
    call.answered()
    call.ack()
    wait_state(page, "in_call")
    assert page.evaluate("window.phone.autoAnswered") is True
    call.bye()
    wait_state(page, "registered")

    page.evaluate("window.phone.account.auto_answer = true")
    ring = Dialog(peer, "1001")
    ring.invite([f"Alert-Info: {ALERT_INFO[False]}"])
    wait_state(page, "ringing")
    page.wait_for_timeout(600)                                    # longer than autoAnswerMs
    assert page.evaluate("window.phone.state") == "ringing" and page.evaluate("window.phone.ringing") is True
    assert page.evaluate("[HotlineSoftphone.autoAnswer('', true), HotlineSoftphone.autoAnswer('', false)]") == [True, False]


def test_devices_volume_and_the_device_test(media_browser, site, peer):
    """enumerateDevices lists Chromium's fake microphone; the choice and the volume are kept in this
    browser (localStorage) and applied to the caller's audio; the device test hears the fake
    microphone's beeps (level above silence)."""
    page = media_browser.new_page()
    start(page, site, peer)
    wait_state(page, "registered")
    found = page.evaluate("window.phone.devices()")
    assert found["microphones"], found
    mic = next(d["id"] for d in found["microphones"] if d["id"] != "default")
    page.evaluate("id => window.phone.useMicrophone(id)", mic)
    page.evaluate("window.phone.setVolume(0.4)")
    assert page.evaluate("document.getElementById('a').volume") == pytest.approx(0.4)
    page.reload()
    assert page.evaluate("window.phone.prefs()")["mic"] == mic         # remembered per browser
    assert page.evaluate("window.phone.volume()") == pytest.approx(0.4)
    assert page.evaluate("window.phone.audioConstraints()") == {"deviceId": {"exact": mic}}
    result = page.evaluate("window.phone.testDevices(1200)")
    assert result["level"] > 0.001, result


def test_a_phone_server_that_never_answers_says_what_to_check(media_browser, site, peer):
    """An expired or untrusted certificate, a wrong address or a switch that is down look the same to
    the page (the WebSocket never opens): cannot_connect, with the address, not "reconnecting"."""
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()                                                # nothing listens there
    page = media_browser.new_page()
    page.goto(site + "/harness.html")
    page.evaluate("a => window.phone.start(a)", {**account(peer), "ws_url": f"ws://127.0.0.1:{port}"})
    wait_state(page, "cannot_connect")
    assert page.evaluate("window.phone.detail") == f"ws://127.0.0.1:{port}"


def test_a_certificate_the_browser_does_not_trust_is_cannot_connect(media_browser, site, peer, tmp_path):
    """A WSS server whose certificate the browser refuses (self-signed here; expired or for another
    name fail the same way, and the page is told nothing more): cannot_connect, naming the address."""
    import shutil
    import socket
    import ssl

    from tests.integration.test_real_freeswitch_wss import self_signed

    if not shutil.which("openssl"):
        pytest.skip("openssl is missing")
    self_signed(tmp_path / "tls")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(tmp_path / "tls" / "wss.crt", tmp_path / "tls" / "wss.key")
    listener = socket.create_server(("127.0.0.1", 0))
    handshakes: list[str] = []

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            try:
                tls.wrap_socket(conn, server_side=True).close()
                handshakes.append("completed")
            except (ssl.SSLError, OSError) as exc:
                handshakes.append(type(exc).__name__)    # the browser refused the certificate

    threading.Thread(target=serve, daemon=True).start()
    url = f"wss://127.0.0.1:{listener.getsockname()[1]}"
    try:
        page = media_browser.new_page()
        page.goto(site + "/harness.html")
        page.evaluate("a => window.phone.start(a)", {**account(peer), "ws_url": url})
        wait_state(page, "cannot_connect")
        assert page.evaluate("window.phone.detail") == url
        assert handshakes and "completed" not in handshakes, handshakes
    finally:
        listener.close()


def test_a_lost_websocket_shows_reconnecting_then_registers_again(media_browser, site, peer):
    page = media_browser.new_page()
    start(page, site, peer)
    wait_state(page, "registered")
    peer.drop()
    wait_state(page, "reconnecting")
    wait_state(page, "registered", timeout=20_000)                # JsSIP reconnects, registers again
    assert peer.registrations == 2


def test_a_refused_registration_is_an_error(media_browser, site, peer):
    peer.refuse = True
    page = media_browser.new_page()
    start(page, site, peer)
    wait_state(page, "registration_failed")


def test_a_denied_microphone_never_registers(browser, site, peer):
    page = browser.new_page()       # no fake media UI: headless Chromium denies the microphone
    start(page, site, peer)
    wait_state(page, "mic_denied")
    assert peer.received.empty()


def test_a_second_tab_does_not_register_the_agent_again(media_browser, site, peer):
    context = media_browser.new_context()
    first, second = context.new_page(), context.new_page()
    start(first, site, peer)
    wait_state(first, "registered")
    start(second, site, peer)
    wait_state(second, "second_tab")
    assert peer.registrations == 1


def test_freeswitchs_own_challenge_and_offer_from_the_capture(media_browser, site, peer):
    """tests/captures/freeswitch_webrtc.sip, recorded from a real FreeSWITCH by
    test_real_freeswitch_softphone.py (HOTLINE_RECORD_CAPTURE=1): its 401 challenge, its INVITE (ICE,
    DTLS-SRTP, Opus/PCMU offer) and its ACK, played to the page again."""
    messages = captured(ROOT / "tests" / "captures" / "freeswitch_webrtc.sip")
    from_switch = [m for who, m in messages if who == "freeswitch"]
    challenge = next(m for m in from_switch if m.startswith("SIP/2.0 401"))
    invite = next(m for m in from_switch if m.startswith("INVITE "))
    ack = next(m for m in from_switch if m.startswith("ACK "))
    peer.challenge = "WWW-Authenticate: " + header(challenge, "WWW-Authenticate")
    peer.realm = header(challenge, "WWW-Authenticate").split('realm="')[1].split('"')[0]
    page = media_browser.new_page()
    errors = start(page, site, peer)
    wait_state(page, "registered")
    register = peer.wait_for("REGISTER")
    contact = header(register, "Contact").split("<")[1].split(">")[0]

    peer.send(retarget(invite, contact))
    wait_state(page, "ringing")
    page.evaluate("window.phone.answer()")
    ok = peer.wait_for("SIP/2.0 200")
    assert header(ok, "Call-ID") == header(invite, "Call-ID") and "a=fingerprint:sha-256" in ok
    assert re.search(r"^a=rtpmap:\d+ opus/48000/2", ok, re.M)        # Opus, as FreeSWITCH offered first
    peer.send(retarget(ack, header(ok, "Contact").split("<")[1].split(">")[0], To=header(ok, "To")))
    wait_state(page, "in_call")
    page.evaluate("window.phone.hangup()")
    assert peer.wait_for("BYE ").split("\r\n")[0].startswith("BYE ")
    wait_state(page, "registered")
    assert errors == []


def test_the_console_panel_saves_the_choice_and_registers_the_browser_phone(media_browser, peer, web_app):
    """The real console page (/agent/): the Phone panel says desk phone, the agent picks "This
    browser", the choice is saved, the credentials come from /api/softphone and the phone registers."""
    from records.models import Agent
    from tests.web_fixtures import LiveServer
    from web.extensions import db

    web_app.config["HOTLINE"] = web_app.config["HOTLINE"].replace(softphone_wss_url=peer.url)
    with LiveServer(web_app) as server:
        page = media_browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/login")
        page.fill("#username", "alice")
        page.fill("#password", "alice")
        page.click("#login-button")
        page.wait_for_url(f"{server.url}/agent/")
        page.wait_for_selector("#softphone-state:text-is('desk phone')")
        page.select_option("#softphone-settings select[name=phone]", "browser")
        page.wait_for_selector("#softphone[data-state=registered]", state="attached", timeout=15_000)
        assert page.text_content("#softphone-state") == "ready"
        assert 'username="' in peer.wait_for("REGISTER") + peer.wait_for("REGISTER")
        with web_app.app_context():
            assert db.session.scalar(db.select(Agent.phone).where(Agent.id == "alice")) == "browser"
        # the devices: Chromium's fake microphone listed, the device test hears it
        page.wait_for_selector("#softphone-devices:not([hidden])")
        assert page.eval_on_selector("#softphone-devices select[name=mic]", "s => s.options.length") >= 2
        page.click("#phone-test")
        page.wait_for_selector("#softphone-test-result:text-is('microphone heard; you should have heard a tone')",
                               timeout=10_000)
        assert page.is_hidden("#softphone-help")
        call = Dialog(peer, "1001")
        call.invite()
        page.wait_for_selector("#phone-answer:not([hidden])", timeout=10_000)
        page.click("#phone-answer")
        call.answered()
        call.ack()
        page.wait_for_selector("#softphone[data-state=in_call]", state="attached")
        assert page.is_visible("#phone-mute") and page.is_visible(".dtmf")
        page.click("#phone-hangup")
        page.wait_for_selector("#softphone[data-state=registered]", state="attached")
        page.screenshot(path=str(ROOT / "docs" / "screens" / "softphone.png"))
        assert errors == []


def test_the_console_panel_says_what_to_do_when_the_microphone_is_blocked(browser, peer, web_app):
    """The real console page, no fake media UI (headless Chromium denies the microphone): the panel
    says the microphone is blocked and how to allow it; the phone never registers."""
    from tests.web_fixtures import LiveServer
    from web.extensions import db
    from records.models import Agent

    web_app.config["HOTLINE"] = web_app.config["HOTLINE"].replace(softphone_wss_url=peer.url)
    with web_app.app_context():
        db.session.get(Agent, "alice").phone = "browser"
        db.session.commit()
    with LiveServer(web_app) as server:
        page = browser.new_page()
        page.goto(f"{server.url}/login")
        page.fill("#username", "alice")
        page.fill("#password", "alice")
        page.click("#login-button")
        page.wait_for_selector("#softphone[data-state=mic_denied]", state="attached", timeout=15_000)
        assert "Allow it with the icon in the address bar" in page.text_content("#softphone-help")
        assert page.is_visible("#softphone-help") and page.is_hidden("#softphone-devices")
        assert peer.received.empty()


from tests.browser import browser  # noqa: E402,F401  (the plain Chromium fixture)

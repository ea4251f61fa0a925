"""An agent with only Chromium and a headset works full calls on a real FreeSWITCH, through the real
controller: a SIPp customer on the trunk goes through the shipped menu into support, the controller
offers the call to alice, whose phone is the console's browser phone (headless Chromium with a fake
microphone, registered over WSS to the webrtc profile). The card is on the page before it rings;
manual answer and auto-answer; audio both ways (WebRTC's counters and energy in the page, the
browser's sound in the customer's RTP); mute, hold, DTMF, hang-up from the page; the wrap-up with
its disposition, then the call record. The queue's auto-answer passes the real switch in the
INVITE's Alert-Info; the tab closed while available → not ready (phone_offline).

Skipped by name without HOTLINE_FREESWITCH_BIN (a freeswitch binary), SIPp, openssl or Chromium."""
from __future__ import annotations

import math
import os
import shutil
import time

import pytest

from control.bench.sipp import sipp_binary, wait_until
from control.config import ROOT
from control.domain.call_record import hung_up_first
from tests.browser import CHROMIUM
from tests.integration.real_site import Site, real_site, seed_people
from tests.integration.test_real_freeswitch_sipp import bridged_leg, call, final_record, live_picture, press_early
from tests.integration.test_real_freeswitch_softphone import BROWSER_ARGS, audio_flowing
from tests.integration.test_real_freeswitch_wss import self_signed

BIN = os.environ.get("HOTLINE_FREESWITCH_BIN", "")
pytestmark = [pytest.mark.freeswitch,
              pytest.mark.skipif(not BIN, reason="set HOTLINE_FREESWITCH_BIN to a freeswitch binary"),
              pytest.mark.skipif(not sipp_binary(), reason="SIPp is missing: apt-get install sip-tester"),
              pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is missing"),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium is not installed")]

TRUNK_IP = "127.0.0.2"
OTHERS = ("bob", "carol", "dave", "erin")
# When the card was drawn and when the phone changed state, in the page's own clock.
MARKS = """(() => {
  // the console's phone (softphone.js keeps it on its panel) under the name the harness tests use
  Object.defineProperty(window, "phone", {get: () => {
    const box = document.getElementById("softphone");
    return box ? box.softphone : undefined;
  }});
  window.marks = {};
  const at = (name) => { if (!(name in window.marks)) window.marks[name] = performance.now(); };
  window.resetMarks = () => { window.marks = {}; };
  window.addEventListener("softphone", (e) => at(e.detail.state));
  new MutationObserver(() => {
    const card = document.getElementById("card");
    if (card && !card.hidden) at("card"); else delete window.marks.card;
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ["hidden"], childList: true});
})();"""
# WebRTC's inbound energy: the caller's tone reaching the page (0 for silence)
ENERGY = """async () => {
  const pc = window.phone.session && window.phone.session.connection;
  let energy = 0;
  if (pc) (await pc.getStats()).forEach(r => {
    if (r.type === "inbound-rtp" && r.kind === "audio") energy += r.totalAudioEnergy || 0;
  });
  return energy;
}"""


@pytest.fixture(scope="module")
def rig(tmp_path_factory, pg_database_url):
    base = tmp_path_factory.mktemp("softphone-call")
    self_signed(base / "tls")
    wss_port = _free_tcp_port()
    with real_site(BIN, base, tmp_path_factory.mktemp("softphone-fs"), pg_database_url, tag="hlwebrtc",
                   site_vars={"HOTLINE_TRUNK_CIDRS": f"{TRUNK_IP}/32", "HOTLINE_WSS_BINDING": f"127.0.0.1:{wss_port}",
                              "HOTLINE_TLS_DIR": base / "tls"},
                   events="CHANNEL_EXECUTE CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE CHANNEL_HOLD CHANNEL_UNHOLD DTMF",
                   env={"HOTLINE_POP_ACK_BUDGET_MS": "2000"},   # two cores shared by the switch, Chromium, SIPp
                   console=lambda fs: {"esl_port": fs.esl_port, "esl_password": fs.password, "sip_domain": fs.domain,
                                       "softphone_wss_url": f"wss://127.0.0.1:{wss_port}"},
                   seed=_seed_with_browser_phone) as site:
        yield site


def _free_tcp_port() -> int:
    from control.bench.fsboot import free_port

    return free_port()


def _seed_with_browser_phone(db_url: str) -> None:
    """The demo's people; alice's phone is the console's browser phone."""
    from records.db import session_factory
    from records.models import Agent

    seed_people(db_url)
    with session_factory(db_url)() as session:
        session.get(Agent, "alice").phone = "browser"
        session.commit()


def _live(site: Site, agent_id: str) -> dict:
    """The agent as the controller holds it ({} before it knows them): state and reason."""
    import redis

    from control.store.redis_state import RedisState

    agent = RedisState(redis.Redis.from_url(site.redis_url), site.prefix).get_agent(agent_id)
    return {} if agent is None else {"state": agent.state.value, "reason": agent.break_reason}


def _wallboard_phone(site: Site, supervisor, agent_id: str) -> tuple[str, bool | None]:
    board = supervisor.get(f"{site.web}/supervisor/wallboard.json").json()
    row = next(a for a in board["agents"] if a["id"] == agent_id)
    return row["phone"], row["registered"]


def _last_state_row(site: Site, agent_id: str) -> tuple[str, str | None]:
    from records.db import session_factory
    from records.state_log import last_states

    state, reason, _at = last_states(session_factory(site.db_url)).get(agent_id, ("", None, 0.0))
    return state, reason


def _peak(samples: list[int]) -> int:
    return max((abs(s) for s in samples), default=0)


def _rms(samples: list[int]) -> float:
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


def _in_call(site: Site, page, caller, timeout: float = 30.0) -> str:
    agent_leg = bridged_leg(site, caller, timeout)
    page.wait_for_function("s => window.phone && window.phone.state === s", arg="in_call", timeout=20_000)
    return agent_leg


def _audio_both_ways(page, caller) -> dict:
    """WebRTC counters both ways and energy received in the page; the browser's sound at the caller."""
    stats = audio_flowing(page, 100)
    energy = page.evaluate(ENERGY)
    now = time.time()
    heard = caller.media.audio(now - 2.0, now)
    assert energy > 0, "the page received only silence from the caller"
    assert page.evaluate("() => window.phone.session.connection.getReceivers()[0].track.readyState") == "live"
    return {"sent": stats["sent"], "received": stats["received"], "energy": energy,
            "caller_peak": _peak(heard), "caller_rms": _rms(heard), "caller_samples": len(heard)}


def _hears_the_page(caller, seconds: float = 2.5) -> int:
    now = time.time()
    return _peak(caller.media.audio(now - seconds, now))


FIGURES: dict[str, object] = {}


def test_an_agent_with_only_chromium_works_calls_from_card_to_wrap_up(rig):
    from playwright.sync_api import sync_playwright

    from control.esl import commands
    from control.handlers.actions import ALERT_INFO

    site = rig
    mark = site.fs.log_mark()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.add_init_script(MARKS)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            # -- alice signs in; her console registers the browser phone; the others log out
            page.goto(f"{site.web}/login")
            page.fill("#username", "alice")
            page.fill("#password", "alice")
            page.click("#login-button")
            page.wait_for_url(f"{site.web}/agent/")
            page.wait_for_selector("#softphone[data-state=registered]", state="attached", timeout=30_000)
            assert site.fs.api(f"sofia_contact webrtc/1001@{site.fs.domain}").startswith("sofia/webrtc/")
            supervisor = context.request   # the same cookie jar: sign the supervisor in on a second context
            sup = browser.new_context().request
            assert sup.post(f"{site.web}/login", form={"username": "supervisor", "password": "supervisor"},
                            max_redirects=0).status == 302
            wait_until(lambda: all(_live(site, a) for a in ("alice", *OTHERS)), 30, "the agents in live state")
            for other in OTHERS:
                if _live(site, other).get("state") != "logged_out":
                    reply = sup.post(f"{site.web}/api/supervisor/agents/{other}/state", data={"state": "logged_out"})
                    assert reply.ok, reply.text()
            # the wallboard shows her phone and its registration, read from the real switch (web/phones.py)
            wait_until(lambda: _wallboard_phone(site, sup, "alice") == ("browser", True), 15, "the wallboard's phone")
            assert _wallboard_phone(site, sup, "bob") == ("sip", False)
            # the availability gate asks the real switch for the registration (web/agent_states.py)
            reply = supervisor.post(f"{site.web}/api/agent/state", data={"state": "available"})
            assert reply.ok, reply.text()
            wait_until(lambda: _live(site, "alice").get("state") == "available", 10, "alice available")

            # -- call 1: manual answer; audio both ways; mute, hold, DTMF; the page hangs up
            start = len(site.events.seen)
            caller = call(site, "+14155550177", hold_s=180)
            press_early(site, caller, "1", start)
            press_early(site, caller, "0", len(site.events.seen))
            page.wait_for_function("s => window.phone && window.phone.state === s", arg="ringing", timeout=40_000)
            marks = page.evaluate("() => window.marks")
            assert "card" in marks and marks["card"] < marks["ringing"], marks      # the card first, then the ring
            FIGURES["card_before_ring_ms"] = round(marks["ringing"] - marks["card"], 1)
            assert page.evaluate("() => window.phone.ringing") is True
            assert page.evaluate("() => window.phone.autoAnswered") is False
            page.click("#phone-answer")
            agent_leg = _in_call(site, page, caller)
            assert site.fs.api(f"uuid_getvar {agent_leg} hotline_agent").strip() == "alice"
            FIGURES["manual"] = _audio_both_ways(page, caller)
            page.screenshot(path=str(ROOT / "docs" / "screens" / "softphone-real-call.png"), full_page=True)
            time.sleep(1.0)
            before_mute = _hears_the_page(caller)
            FIGURES["caller_peak_before_mute"] = before_mute

            page.click("#phone-mute")
            assert page.evaluate("() => window.phone.muted") is True
            time.sleep(3.0)
            muted = _hears_the_page(caller)
            FIGURES["caller_peak_muted"] = muted
            page.click("#phone-mute")
            time.sleep(3.0)
            unmuted = _hears_the_page(caller)
            FIGURES["caller_peak_unmuted"] = unmuted
            assert muted < before_mute / 4 and unmuted > muted * 4, FIGURES

            seen = len(site.events.seen)
            page.click("#phone-hold")
            page.wait_for_function("s => window.phone && window.phone.state === s", arg="on_hold", timeout=10_000)
            site.events.wait("the agent's leg on hold", lambda e: site.events.seen.index(e) >= seen
                             and e.get("Event-Name") == "CHANNEL_HOLD" and e.get("Unique-ID") == agent_leg, 15)
            page.click("#phone-hold")
            page.wait_for_function("s => window.phone && window.phone.state === s", arg="in_call", timeout=10_000)
            site.events.wait("the agent's leg resumed", lambda e: site.events.seen.index(e) >= seen
                             and e.get("Event-Name") == "CHANNEL_UNHOLD" and e.get("Unique-ID") == agent_leg, 15)

            seen = len(site.events.seen)
            page.click(".dtmf button:text-is('5')")
            dtmf = site.events.wait("the page's key 5 at the switch", lambda e: site.events.seen.index(e) >= seen
                                    and e.get("Event-Name") == "DTMF" and e.get("Unique-ID") == agent_leg, 15)
            assert dtmf.get("DTMF-Digit") == "5", dtmf

            page.click("#phone-hangup")
            page.wait_for_function("s => window.phone && window.phone.state === s", arg="registered", timeout=10_000)
            wait_until(lambda: _live(site, "alice").get("state") == "wrap_up", 15, "alice in wrap-up")
            saved = supervisor.post(f"{site.web}/api/calls/{caller.uuid}/disposition", data={"disposition": "resolved"})
            assert saved.ok, saved.text()
            done = supervisor.post(f"{site.web}/api/agent/state", data={"state": "available", "call_id": caller.uuid})
            assert done.ok, done.text()
            row = final_record(site, caller)
            assert (row.queue, row.agent_id, row.outcome) == ("support", "alice", "answered"), (row.outcome, row.offers)
            assert hung_up_first(row.explanations) == "agent", row.explanations
            pop = next(e for e in row.explanations if e.get("kind") == "pop")
            assert pop["card_first"] is True and pop["console"] == "acknowledged", pop
            assert row.disposition == "resolved"
            wait_until(lambda: _live(site, "alice").get("state") == "available", 10, "alice available again")

            # -- call 2: the agent's own auto-answer (whisper, then the call); the customer hangs up
            page.check("#softphone-settings input[name=auto_answer]")
            page.wait_for_function("() => window.phone.account.auto_answer === true", timeout=10_000)
            page.evaluate("() => window.resetMarks()")
            start = len(site.events.seen)
            second = call(site, "+14155550188", hold_s=45)     # SIPp's BYE 45 s after the switch answered
            press_early(site, second, "1", start)
            press_early(site, second, "0", len(site.events.seen))
            _in_call(site, page, second)
            marks = page.evaluate("() => window.marks")
            assert marks["card"] < marks["ringing"] < marks["in_call"], marks
            assert page.evaluate("() => window.phone.autoAnswered") is True
            FIGURES["auto"] = _audio_both_ways(page, second)
            # the registration drops during the call (the switch forgets it, as at an expiry): the call
            # goes on, and the wrap-up's end is not ready (phone_offline) instead of available. A refresh
            # first, so that JsSIP's next one (60-88 s for 120 s) does not bring the phone back meanwhile.
            page.evaluate("() => window.phone.ua.register()")
            time.sleep(1.0)
            site.fs.api(f"sofia profile webrtc flush_inbound_reg 1001@{site.fs.domain}")
            wait_until(lambda: site.fs.api(f"sofia_contact webrtc/1001@{site.fs.domain}").startswith("error/"), 10,
                       "the registration gone")
            time.sleep(2.0)                                    # the controller asks the switch again (0.5 s, 1 s)
            assert _live(site, "alice").get("state") == "on_call"
            assert page.evaluate("() => window.phone.state") == "in_call"
            assert second.sip.wait(60) == 0                    # the customer hung up
            page.wait_for_function("s => window.phone && window.phone.state === s", arg="registered", timeout=15_000)
            row = final_record(site, second)
            assert (row.agent_id, row.outcome) == ("alice", "answered") and hung_up_first(row.explanations) == "caller"
            assert row.talk_s and row.talk_s > 5, row.talk_s     # the drop did not cut the call
            wait_until(lambda: _last_state_row(site, "alice") == ("not_ready", "phone_offline"), 30,
                       "not ready (phone offline) at the wrap-up's end")
            page.evaluate("() => window.phone.ua.register()")   # the phone registers again: available
            wait_until(lambda: _live(site, "alice").get("state") == "available", 15, "alice available again")

            # -- the queue's auto-answer through the real switch: its Alert-Info wins over "ring"
            page.uncheck("#softphone-settings input[name=auto_answer]")
            page.wait_for_function("() => window.phone.account.auto_answer === false", timeout=10_000)
            wait_until(lambda: _live(site, "alice").get("state") in ("available", "wrap_up"), 15, "alice free")
            reply = site.fs.api(commands.originate({"alert_info": ALERT_INFO[True]}, f"user/1001@{site.fs.domain}",
                                                   app="echo").replace("originate", "bgapi originate", 1))
            assert reply.startswith("+OK"), reply
            page.wait_for_function("s => window.phone && window.phone.state === s", arg="in_call", timeout=20_000)
            assert page.evaluate("() => window.phone.autoAnswered") is True
            page.click("#phone-hangup")
            page.wait_for_function("s => window.phone && window.phone.state === s", arg="registered", timeout=10_000)

            # -- the tab closes while alice is available: not ready, phone offline
            wait_until(lambda: _live(site, "alice").get("state") == "available", 20, "alice available")
            page.close()
            wait_until(lambda: _live(site, "alice").get("state") == "not_ready", 30,
                       "alice not ready after her tab closed")
            wait_until(lambda: _last_state_row(site, "alice") == ("not_ready", "phone_offline"), 15,
                       "the history row: not ready, phone offline")
            wait_until(lambda: _wallboard_phone(site, sup, "alice") == ("browser", False), 15,
                       "the wallboard: not registered")
            assert errors == [], errors
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nlive state:\n{live_picture(site)}") from None
        finally:
            browser.close()
    print(f"\nbrowser phone, full calls on the real switch: {FIGURES}")
    assert site.fs.bad_log_lines(mark) == []

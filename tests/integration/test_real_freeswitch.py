"""A real FreeSWITCH on freeswitch-conf/ + dialplan/ (skipped unless HOTLINE_FREESWITCH_BIN names
a freeswitch binary). Site values come from HOTLINE_* environment variables (vars.xml's env-set
lines); no file is changed. Calls are loopback channels: the customer is
``loopback/<DID>/public`` (the public context, as a trunk's INVITE); the agent's phone is a
real SIP registration (a sofia gateway of the same FreeSWITCH, registered with the password
``hotline render-fs`` generated) that answers into the echo test; desk-phone feature codes are
dialled as ``loopback/*21/internal``."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
import wave
from pathlib import Path
from types import SimpleNamespace

import pytest

from control.config import ROOT
from control.fsconf import EslError, esl_api
from tests.integration.realswitch import (Events, b_leg, boot, call_row, execute, originate, socket_runs,
                                          start_controller, stop, write_tone)

BIN = os.environ.get("HOTLINE_FREESWITCH_BIN", "")
DID = "+18005550100"
MENU_DID = "+18005550101"
AGENT_ID, AGENT_EXT = "fs-real-agent", "1901"

pytestmark = [pytest.mark.freeswitch,
              pytest.mark.skipif(not BIN, reason="set HOTLINE_FREESWITCH_BIN to a freeswitch binary")]

FLOW = """name: fsreal
languages: [en]
start: hello
prompts:
  welcome: {"*": [{file: hello.wav}, {say: "42", type: NUMBER}]}
nodes:
  hello: {type: play, prompt: welcome, next: q}
  q: {type: queue, queue: fsreal}
"""
# A menu whose choice "1" is also the next queue's exit key (callback); nobody staffs that queue.
MENU_FLOW = """name: fsmenu
languages: [en]
start: menu
prompts:
  choose: {"*": [{file: hello.wav}]}
  goodbye: {"*": [{file: bye.wav}]}
nodes:
  menu: {type: menu, prompt: choose, options: {"1": {next: q}}, timeout_s: 10, retries: 0, default: q}
  q: {type: queue, queue: fsmenu}
"""
QUEUE = ("queues:\n  fsreal: {strategy: longest-idle-agent, ring_timeout_s: 10, announce_every_s: 3600, record: true}\n"
         "  fsmenu: {announce_every_s: 3600, exit_keys: {'1': {action: callback}}}\n")


@pytest.fixture(scope="module")
def switch(tmp_path_factory):
    fs = boot(BIN, tmp_path_factory.mktemp("freeswitch"))
    try:
        yield fs
    finally:
        stop(fs.proc)


def test_boots_on_our_configuration_without_complaint(switch):
    assert switch.bad_log_lines() == []
    status = switch.api("status")
    assert "is ready" in status and "12000 session(s) max" in status, status
    for module in ("mod_sofia", "mod_event_socket", "mod_commands", "mod_dptools", "mod_dialplan_xml",
                   "mod_sndfile", "mod_native_file", "mod_tone_stream", "mod_local_stream", "mod_loopback",
                   "mod_say_en", "mod_db", "mod_hash"):
        assert switch.api(f"module_exists {module}").strip() == "true", module
    profiles = switch.api("sofia status")
    assert f"sip:mod_sofia@127.0.0.1:{switch.sip_port}" in profiles and "RUNNING" in profiles, profiles
    moh = switch.api("local_stream show moh")
    assert "ready:    true" in moh and str(switch.base / "moh") in moh, moh
    public = switch.api("xml_locate dialplan context name public")
    assert f"127.0.0.1:{switch.controller_port} async full" in public
    # the configuration ran as committed: site values came from the environment (env-set)
    assert not (switch.conf / "vars.local.xml").exists()
    for source in (ROOT / "freeswitch-conf").rglob("*"):
        rel = source.relative_to(ROOT / "freeswitch-conf")
        if source.is_file() and rel.name != "vars.local.xml" and rel.parent != Path("directory/agents"):
            assert (switch.conf / rel).read_bytes() == source.read_bytes(), rel
    assert switch.api("global_getvar sip_port").strip() == str(switch.sip_port)
    assert switch.api("global_getvar domain").strip() == switch.domain


def test_event_socket_takes_the_password_from_configuration(switch):
    with pytest.raises(EslError):
        esl_api("127.0.0.1", switch.esl_port, "ClueCon", "status")
    assert switch.api("global_getvar esl_password").strip() == switch.password


def _agent_in_db(database_url: str) -> None:
    from records.db import session_factory
    from records.migrate import ensure_schema
    from records.models import Agent

    ensure_schema(database_url)
    with session_factory(database_url)() as session:
        if session.get(Agent, AGENT_ID) is None:
            session.add(Agent(id=AGENT_ID, name="Real Test", extension=AGENT_EXT, sip_password="",
                              queues=["fsreal", "fsmenu"]))
            session.commit()


def _render_fs(switch, database_url: str) -> str:
    """hotline render-fs into the running switch's configuration; the agent's SIP password."""
    from records.db import session_factory
    from records.models import Agent

    _agent_in_db(database_url)
    env = {**os.environ, "DATABASE_URL": database_url, "HOTLINE_ESL_PORT": str(switch.esl_port),
           "HOTLINE_ESL_PASSWORD": switch.password}
    done = subprocess.run([sys.executable, "-m", "control.cli", "render-fs", "--conf-dir", str(switch.conf)],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "reloadxml: +OK" in done.stdout
    with session_factory(database_url)() as session:
        return session.get(Agent, AGENT_ID).sip_password


def test_render_fs_then_reloadxml_makes_the_agent_a_sip_user(switch, pg_database_url):
    password = _render_fs(switch, pg_database_url)
    assert switch.api(f"user_exists id {AGENT_EXT} {switch.domain}").strip() == "true"
    assert switch.api(f"user_data {AGENT_EXT}@{switch.domain} var hotline_agent").strip() == AGENT_ID
    assert switch.api(f"user_data {AGENT_EXT}@{switch.domain} var user_context").strip() == "internal"
    # A phone registers with the generated password (digest auth against the rendered directory).
    switch.register_phone(AGENT_EXT, password)
    contact = switch.api(f"sofia_contact */{AGENT_EXT}@{switch.domain}")
    assert contact.startswith("sofia/internal/"), contact
    assert switch.bad_log_lines() == []


@pytest.fixture
def controller(switch, tmp_path, pg_database_url, redis_prefix):
    switch.register_phone(AGENT_EXT, _render_fs(switch, pg_database_url))
    for name, text in {"flows/dids.yaml": f'default: fsreal\ndids: {{"{DID}": fsreal, "{MENU_DID}": fsmenu}}\n',
                       "flows/fsreal.yaml": FLOW, "flows/fsmenu.yaml": MENU_FLOW, "queues/fsreal.yaml": QUEUE}.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    write_tone(tmp_path / "prompts" / "hello.wav")
    write_tone(tmp_path / "prompts" / "bye.wav", hz=330.0)
    env = {**os.environ, "DATABASE_URL": pg_database_url, "HOTLINE_REDIS_PREFIX": redis_prefix,
           "REDIS_URL": os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
           "HOTLINE_FLOWS_DIR": str(tmp_path / "flows"), "HOTLINE_QUEUES_DIR": str(tmp_path / "queues"),
           "HOTLINE_PROMPTS_DIR": str(tmp_path / "prompts"), "HOTLINE_RECORDINGS_DIR": str(switch.recordings),
           "HOTLINE_ESL_PORT": str(switch.esl_port), "HOTLINE_ESL_PASSWORD": switch.password,
           "HOTLINE_OUTBOUND_PORT": str(switch.controller_port),
           "HOTLINE_RECORDS_SPOOL": str(tmp_path / "spool.jsonl"),
           # a dead controller's heartbeat lapses after 3 rounds: its waiting callers are freed sooner
           "HOTLINE_RECONCILE_INTERVAL_S": "1",
           # No trunk here: a callback's "customer" is the echo test, reached over loopback (a site
           # with a trunk keeps the default, loopback/{number}/public-outbound -> gateways/trunk.xml)
           "HOTLINE_CALLBACK_DIAL_STRING": "loopback/9196/internal"}
    events = Events(switch.esl_port, switch.password, "CHANNEL_EXECUTE CHANNEL_EXECUTE_COMPLETE CHANNEL_BRIDGE "
                                                      "CHANNEL_UNBRIDGE CHANNEL_HOLD CHANNEL_UNHOLD "
                                                      "CHANNEL_HANGUP_COMPLETE RECORD_START RECORD_STOP")
    rig = SimpleNamespace(events=events, env=env, log=tmp_path / "controller.log", prefix=redis_prefix)
    rig.proc = start_controller(env, rig.log)
    try:
        yield rig
    finally:
        events.close()
        stop(rig.proc)


def test_one_call_through_ivr_queue_agent_recording_and_supervision(switch, controller, pg_database_url):
    from control.handlers.features import OK_TONE

    events, mark = controller.events, switch.log_mark()
    # Desk-phone feature codes: log in, break, ready (hotline_agent comes from the directory on a phone).
    for code in ("*21", "*23", "*24"):
        leg = originate(switch, {"hotline_agent": AGENT_ID}, f"loopback/{code}/internal")
        events.wait(f"the OK tone for {code}", execute("playback", OK_TONE, b_leg(events, leg, "socket")))

    caller_a = originate(switch, {"origination_caller_id_number": "+14155550177"}, f"loopback/{DID}/public")
    caller = b_leg(events, caller_a, "socket")
    events.wait("the IVR prompt", lambda e: e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Unique-ID") == caller
                and e.get("Application") == "playback" and e.get("Application-Data", "").endswith("/hello.wav"))
    events.wait("say 42", execute("say", "en NUMBER pronounced 42", caller))
    events.wait("hold music", execute("playback", "local_stream://moh", caller))
    bridge = events.wait("the caller bridged to the agent",
                         lambda e: e.get("Event-Name") == "CHANNEL_BRIDGE" and caller in
                         (e.get("Unique-ID"), e.get("Other-Leg-Unique-ID")))
    agent_leg = bridge["Other-Leg-Unique-ID"] if bridge["Unique-ID"] == caller else bridge["Unique-ID"]
    assert switch.api(f"uuid_getvar {agent_leg} channel_name").startswith("sofia/internal/"), "not over SIP"
    started = events.wait("recording", lambda e: e.get("Event-Name") == "RECORD_START" and e.get("Unique-ID") == caller)
    path = Path(started["Record-File-Path"])
    assert path.parent.is_relative_to(switch.recordings) and path.name == f"{caller}.wav"

    for code, app, setting in (("*33", "eavesdrop", None), ("*34", "eavesdrop", "eavesdrop_whisper_bleg=true"),
                               ("*35", "three_way", None)):
        # a supervisor's phone carries hotline_monitor=true from its directory entry (render-fs)
        sup_a = originate(switch, {"origination_caller_id_number": "1902", "hotline_monitor": "true"},
                          f"loopback/{code}{AGENT_EXT}/internal")
        sup = b_leg(events, sup_a, "socket")
        if setting:
            events.wait(f"{code} sets {setting}", execute("set", setting, sup))
        events.wait(f"{code}: {app} on the agent's leg", execute(app, agent_leg, sup))
        assert switch.api(f"uuid_kill {sup_a}").startswith("+OK")
    # an agent's phone (no hotline_monitor in its directory entry) is not routed to monitoring
    agent_phone = str(uuid.uuid4())
    reply = switch.api(f"originate {{origination_uuid={agent_phone}}}loopback/*33{AGENT_EXT}/internal &park()")
    switch.api(f"uuid_kill {agent_phone}")
    events.wait("the agent's phone hung up", lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE"
                and e.get("Unique-ID") == agent_phone)
    assert not [e for e in events.seen if e.get("Event-Name") == "CHANNEL_EXECUTE" and e.get("Application") == "socket"
                and e.get("variable_other_loopback_leg_uuid") == agent_phone], reply

    # The agent hangs up first: the caller's call is over (dialplan hotline_after_bridge), not
    # connected to the controller again.
    assert switch.api(f"uuid_kill {agent_leg}").startswith("+OK")
    events.wait("the recording closed", lambda e: e.get("Event-Name") == "RECORD_STOP" and e.get("Unique-ID") == caller)
    ended = events.wait("the caller hung up", lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE"
                        and e.get("Unique-ID") == caller)
    assert ended.get("variable_last_bridge_to") == agent_leg
    sockets = [e for e in events.seen if e.get("Unique-ID") == caller and e.get("Application") == "socket"
               and e.get("Event-Name") == "CHANNEL_EXECUTE"]
    assert len(sockets) == 1, "the caller was sent to the controller again"
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getframerate()) == (2, 8000)
        assert w.getnframes() > 0
    row = call_row(pg_database_url, caller)
    assert (row.outcome, row.agent_id, row.recording_path) == ("answered", AGENT_ID, str(path))
    assert switch.bad_log_lines(mark) == []


def test_a_waiting_caller_whose_controller_died_is_resumed_by_the_next_one(switch, controller):
    """FreeSWITCH returns from ``socket`` only when the application running on the channel ends:
    a caller on endless hold music stays there after its controller died. The new controller
    sees the dead one's heartbeat lapse and sends ``uuid_break``; dialplan/hotline.xml connects
    the caller again and the new controller resumes it in the queue."""
    events = controller.events
    caller_a = originate(switch, {"origination_caller_id_number": "+14155550188"}, f"loopback/{DID}/public")
    caller = b_leg(events, caller_a, "socket")
    events.wait("hold music (nobody is logged in)", execute("playback", "local_stream://moh", caller))
    controller.proc.kill()    # a crash: no goodbye on the socket
    controller.proc.wait(10)
    assert switch.api(f"uuid_getvar {caller} current_application").strip() == "playback"
    mark = controller.log.stat().st_size
    controller.proc = start_controller(controller.env, controller.log)

    events.wait("the caller connected again", lambda e: len(socket_runs(events, caller)) == 2)
    again = events.seen.index(socket_runs(events, caller)[1])
    events.wait("hold music from the new controller", lambda e: events.seen.index(e) > again
                and execute("playback", "local_stream://moh", caller)(e))
    assert socket_runs(events, caller)[1]["variable_hotline_attempts"] == "xx"
    log = controller.log.read_text(errors="replace")[mark:]
    assert f"call {caller} waited on dead controller" in log and f"resuming call {caller} in queue fsreal" in log
    assert switch.api(f"uuid_kill {caller_a}").startswith("+OK")


def _live_store(prefix: str):
    import redis

    from control.store.redis_state import RedisState

    return RedisState(redis.Redis.from_url(os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")),
                      prefix)


def test_a_menu_digit_stays_out_of_the_queue_and_its_exit_key_ends_the_call(switch, controller, pg_database_url):
    """Pressing 1 at the menu once also pressed the queue's exit key 1 (the DTMF event stayed in
    the controller's inbox); and a flow ending in a callback left the caller up on a closed
    socket, so the dialplan connected it again and the IVR started over."""
    from control.domain.models import CallState

    events, store = controller.events, _live_store(controller.prefix)
    caller_a = originate(switch, {"origination_caller_id_number": "+14155550166"}, f"loopback/{MENU_DID}/public")
    caller = b_leg(events, caller_a, "socket")
    events.wait("the menu", execute("play_and_get_digits", None, caller))
    assert switch.api(f"uuid_recv_dtmf {caller} 1").startswith("+OK")
    events.wait("the DTMF buffer flushed at queue entry", execute("flush_dtmf", None, caller))
    events.wait("hold music", execute("playback", "local_stream://moh", caller))
    time.sleep(2.5)   # the queue reads its inbox at least every second: a leaked digit would have acted
    assert store.get_call(f"cb-{caller}") is None, "the menu digit requested a callback"
    assert store.get_call(caller).state == CallState.QUEUED
    assert switch.api(f"uuid_getvar {caller} current_application").strip() == "playback"

    assert switch.api(f"uuid_recv_dtmf {caller} 1").startswith("+OK")     # the queue's own exit key
    events.wait("goodbye", lambda e: execute("playback", None, caller)(e)
                and e.get("Application-Data", "").endswith("/bye.wav"))
    events.wait("hangup", execute("hangup", "NORMAL_CLEARING", caller))
    ended = events.wait("the caller hung up", lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE"
                        and e.get("Unique-ID") == caller)
    assert ended["Hangup-Cause"] == "NORMAL_CLEARING"
    assert len(socket_runs(events, caller)) == 1, "the caller was connected to the controller again"
    assert store.get_call(f"cb-{caller}") is not None
    assert call_row(pg_database_url, caller).outcome == "callback"


def test_a_caller_no_controller_answers_is_refused_after_five_connections(switch, controller):
    """dialplan/hotline.xml: 5 connections 1 s apart, then NORMAL_TEMPORARY_FAILURE (503)."""
    events = controller.events
    caller_a = originate(switch, {"origination_caller_id_number": "+14155550199"}, f"loopback/{DID}/public")
    caller = b_leg(events, caller_a, "socket")
    events.wait("hold music (nobody is logged in)", execute("playback", "local_stream://moh", caller))
    controller.proc.kill()
    controller.proc.wait(10)
    assert switch.api(f"uuid_break {caller} all").startswith("+OK")
    ended = events.wait("the caller refused", lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE"
                        and e.get("Unique-ID") == caller, timeout=60)
    assert ended["Hangup-Cause"] == "NORMAL_TEMPORARY_FAILURE"
    assert ended["variable_hotline_attempts"] == "xxxxx"
    assert len(socket_runs(events, caller)) == 5

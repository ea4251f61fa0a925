"""The controller's Event Socket client against FreeSWITCH's recorded bytes, over real TCP."""
from __future__ import annotations

import gevent
import gevent.event

from control.esl.outbound import OutboundServer
from tests.replay import replay_outbound


def run_against(capture: str, app) -> tuple[dict, list[str]]:
    results: dict = {}
    server = OutboundServer("127.0.0.1", 0, lambda ch: app(ch, results))
    server.start()
    try:
        sent = replay_outbound(capture, server.port)
        gevent.sleep(0.05)
    finally:
        server.stop(timeout=1)
    return results, sent


def test_ivr_session_answer_playback_digits_moh_and_hangup():
    def app(ch, results):
        data = ch.connect()
        results["caller"] = data["Caller-Caller-ID-Number"]
        results["name"] = data["Caller-Caller-ID-Name"]
        ch.command("myevents")
        ch.command("linger")
        ch.execute("answer")
        results["tone"] = ch.execute("playback", "tone_stream://%(1000,0,350)")["Application-Response"]
        done = ch.execute("play_and_get_digits",
                          "1 1 3 5000 # tone_stream://%(500,0,440) tone_stream://%(300,0,300) ivr_choice \\d")
        results["digit"] = done.get("variable_ivr_choice")
        results["read_result"] = done.get("variable_read_result")
        ch.execute("set", "caller_choice=${ivr_choice}")
        started = gevent.event.Event()
        ch.register_handle("CHANNEL_EXECUTE", lambda e: e.headers.get("Application") == "playback" and started.set())
        ch.execute("playback", "local_stream://moh", wait=False)
        assert started.wait(5)
        results["break"] = ch.api(f"uuid_break {ch.uuid} all")
        ch.hungup.wait(5)
        results["cause"] = ch.hangup_event.get("Hangup-Cause")

    results, sent = run_against("outbound-ivr", app)
    assert results["caller"] == "1000" and results["name"] == "Caller 1000"
    assert results["tone"] == "FILE PLAYED"
    assert results["digit"] == "2" and results["read_result"] == "success"
    assert results["break"] == "+OK\n"
    assert results["cause"] == "NORMAL_CLEARING"
    assert sent[-1] == "exit\n\n"


def test_no_input_leaves_no_digit_variable():
    def app(ch, results):
        ch.connect()
        ch.command("myevents")
        ch.command("linger")
        ch.execute("answer")
        done = ch.execute("play_and_get_digits",
                          "1 1 2 2000 # tone_stream://%(500,0,440) tone_stream://%(300,0,300) ivr_choice \\d")
        results["digit"] = done.get("variable_ivr_choice", "")
        results["read_result"] = done.get("variable_read_result")
        results["getvar"] = ch.command("getvar ivr_choice")
        results["getvar2"] = ch.command("getvar read_result")
        ch.execute("hangup")
        ch.hungup.wait(5)

    results, _ = run_against("outbound-errors-pagd-timeout", app)
    assert results["digit"] == "" and results["read_result"] == "failure"
    assert results["getvar"] == "-ERR command not found" and results["getvar2"] == "failure"


def test_hangup_during_digit_collection_is_seen_as_gone():
    from control.esl.outbound import ChannelGone

    def app(ch, results):
        ch.connect()
        ch.command("myevents")
        ch.command("linger")
        ch.execute("answer")
        done = ch.execute("play_and_get_digits",
                          "1 1 3 5000 # tone_stream://%(500,0,440) tone_stream://%(300,0,300) ivr_choice \\d")
        results["answer_state"] = done["Answer-State"]
        results["hungup"] = ch.hungup.is_set()
        try:
            ch.execute("playback", "tone_stream://%(100,0,440)")
        except ChannelGone:
            results["gone"] = True

    # The recording continues with commands sent after the hangup; the replay stops
    # when our controller sends something else (it refuses to execute on a dead channel).
    results: dict = {}
    server = OutboundServer("127.0.0.1", 0, lambda ch: app(ch, results))
    server.start()
    try:
        try:
            replay_outbound("outbound-errors-hangup-in-pagd", server.port, timeout=5)
        except AssertionError:
            pass
        gevent.sleep(0.05)
    finally:
        server.stop(timeout=1)
    assert results["answer_state"] == "hangup"
    assert results["hungup"] is True
    assert results["gone"] is True


def test_inbound_client_originates_records_bridges_against_recorded_switch():
    from control.esl.inbound import SwitchClient
    from tests.capture_data import index
    from tests.replay import serve_inbound

    ids = index()["outbound-bridge"]
    caller, agent = ids["caller_uuid"], ids["agent_uuid"]
    port, fs = serve_inbound("outbound-bridge-inbound")
    client = SwitchClient("127.0.0.1", port, "ClueCon")
    seen, done = [], gevent.event.Event()

    def on_event(headers):
        seen.append(headers.get("Event-Name"))
        if headers.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" and headers.get("Unique-ID") == caller:
            done.set()

    client.subscribe(on_event)
    client.start()
    try:
        assert client.wait_ready(5)
        job = client.bgapi(f"originate {{origination_uuid={agent},hotline_call={caller}}}"
                           "sofia/internal/agent1001@127.0.0.1:5090 &park()")
        assert job.get(timeout=5) == f"+OK {agent}\n"
        assert client.api(f"uuid_break {caller} all") == "+OK\n"
        assert client.api(f"uuid_record {caller} start /var/lib/freeswitch/recordings/{caller}.wav") == "+OK Success\n"
        assert client.api(f"uuid_bridge {caller} {agent}") == f"+OK {agent}\n"
        assert done.wait(5)
    finally:
        client.stop()
    sent = fs.get(timeout=5)
    assert sent[0] == "auth ClueCon\n\n"
    assert "CHANNEL_BRIDGE" in seen and "RECORD_STOP" in seen and "BACKGROUND_JOB" in seen

"""The simulator's inbound Event Socket: auth, subscriptions, api/bgapi originate, uuid_bridge, eavesdrop."""
from __future__ import annotations

import json

import gevent
import pytest
from gevent import socket

from control.esl import frames as F
from simulator.switch import Switch
from tests.integration.test_simulator_outbound import Controller, is_complete

pytestmark = pytest.mark.integration


class Client(Controller):
    """An inbound ESL client (reuses the frame reader)."""

    def __init__(self, port):
        self.parser, self.frames, self.pending = __import__("control.esl.parser").esl.parser.FrameParser(), [], []
        self.conn = socket.create_connection(("127.0.0.1", port))
        self.listener = socket.socket()

    def command(self, text):
        self.send(F.encode_client_command(text).decode())
        return self.until(lambda f: f.content_type in ("command/reply", "api/response"))[-1]


@pytest.fixture
def sw():
    ctl = Controller()
    switch = Switch(controller=("127.0.0.1", ctl.port), esl_listen=("127.0.0.1", 0), media_s=0.05)
    switch.start()
    switch.ctl = ctl
    yield switch
    switch.stop()
    ctl.close()


def authed(sw, events="plain ALL"):
    client = Client(sw.esl_port)
    assert client.until(lambda f: True)[0].content_type == "auth/request"
    assert client.command("auth ClueCon").headers["Reply-Text"] == "+OK accepted"
    assert client.command(f"event {events}").headers["Reply-Text"] == \
        f"+OK event listener enabled {events.split()[0]}"
    return client


def test_bad_password_and_command_before_auth(sw):
    early = Client(sw.esl_port)
    early.until(lambda f: True)
    assert early.command("api status").headers["Reply-Text"] == "-ERR command not found"
    bad = Client(sw.esl_port)
    bad.until(lambda f: True)
    assert bad.command("auth wrong").headers["Reply-Text"] == "-ERR invalid"
    notice = bad.until(lambda f: True)[0]
    assert notice.content_type == "text/disconnect-notice" and "Controlled-Session-UUID" not in notice.headers
    with gevent.Timeout(2):
        assert bad.conn.recv(10) == b""


def test_api_replies_and_json_events(sw):
    client = authed(sw, "json CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE DTMF BACKGROUND_JOB")
    assert client.command("api show channels as json").body == '{"row_count": 0}\n'
    assert client.command("api status").body.count("\n") == 8
    assert client.command("api uuid_bridge nosuch1 nosuch2").body == "-ERR Invalid uuid\n"
    assert client.command("api nosuchcommand").body == "-ERR nosuchcommand Command not found!\n"
    reply = client.command("bgapi originate user/1009 &park()")
    job = reply.headers["Job-UUID"]
    assert reply.headers["Reply-Text"] == f"+OK Job-UUID: {job}"
    event = client.until(lambda f: f.event_name == "BACKGROUND_JOB")[-1]
    assert event.content_type == "text/event-json"
    body = json.loads(event.body)
    assert list(body)[-5:] == ["Job-UUID", "Job-Command", "Job-Command-Arg", "Content-Length", "_body"]
    assert body["_body"] == "-ERR USER_NOT_REGISTERED\n" and body["Job-UUID"] == job
    assert client.command("exit").headers["Reply-Text"] == "+OK bye"
    assert client.until(lambda f: True)[0].content_type == "text/disconnect-notice"


def test_bgapi_originate_answered_then_uuid_bridge_and_agent_hangup(sw):
    sw.add_phone("1001", answer_after=0.1, talk_time=0.4)
    client = authed(sw)
    caller = sw.place_call(caller="1000", did="4000")
    ctl = sw.ctl
    ctl.accept()
    for cmd in ("connect", "myevents", "linger"):
        ctl.send(cmd + "\n\n")
        ctl.until(lambda f: f.content_type == "command/reply")
    ctl.send(F.encode_sendmsg(None, "playback", "local_stream://moh", "e1").decode())
    ctl.until(lambda f: f.event_name == "CHANNEL_EXECUTE" and f.event().get("Application") == "playback")
    agent = "f9321397-cbb2-4ef2-868d-8c0e91530988"
    client.command(f"bgapi originate {{origination_uuid={agent},hotline_call={caller.uuid}}}"
                   "sofia/internal/agent1001@127.0.0.1:5090 &park()")
    frames = client.until(lambda f: f.event_name == "CHANNEL_EXECUTE" and f.event().get("Application") == "park")
    agent_events = [f.event_name for f in frames if f.event().get("Unique-ID") == agent or f.event_name == "BACKGROUND_JOB"]
    assert agent_events == ["CHANNEL_CREATE", "CHANNEL_ANSWER", "BACKGROUND_JOB", "CHANNEL_EXECUTE"]
    job = next(f for f in frames if f.event_name == "BACKGROUND_JOB").event()
    assert job["_body"] == f"+OK {agent}\n"
    assert frames[-1].event()["variable_hotline_call"] == caller.uuid
    assert client.command(f"api uuid_break {caller.uuid} all").body == "+OK\n"
    assert client.command(f"api uuid_bridge {caller.uuid} {agent}").body == f"+OK {agent}\n"
    out = ctl.until(lambda f: f.event_name == "CHANNEL_BRIDGE")
    names = [(f.event_name, f.event().get("Channel-State"), f.event().get("Application")) for f in out]
    assert names == [("CHANNEL_EXECUTE_COMPLETE", "CS_EXECUTE", "playback"), ("CHANNEL_UNPARK", "CS_EXECUTE", None),
                     ("CHANNEL_EXECUTE_COMPLETE", "CS_EXECUTE", "socket"), ("CHANNEL_STATE", "CS_HIBERNATE", None),
                     ("CHANNEL_STATE", "CS_RESET", None), ("CHANNEL_STATE", "CS_SOFT_EXECUTE", None),
                     ("CHANNEL_EXECUTE", "CS_SOFT_EXECUTE", "uuid_bridge"), ("CHANNEL_BRIDGE", "CS_SOFT_EXECUTE", None)]
    assert "Application-UUID" not in out[-2].event()
    out = ctl.until(lambda f: f.content_type == "text/disconnect-notice")
    assert [f.event_name for f in out if f.event_name] == [
        "CHANNEL_UNBRIDGE", "CHANNEL_STATE", "CHANNEL_HANGUP", "CHANNEL_STATE", "CHANNEL_STATE",
        "CHANNEL_HANGUP_COMPLETE"]
    assert caller.done.wait(2)
    assert caller.result["hangup_by"] == "agent" and caller.result["answered_by_agent"] == "1001"


def test_originate_to_a_phone_that_never_answers(sw):
    sw.add_phone("1002", answer_after=None)
    client = authed(sw)
    assert client.command("api originate {originate_timeout=0.3}user/1002 &park()").body == "-ERR NO_ANSWER\n"
    assert sw.channels() == [] or all(not ch.alive for ch in sw.channels())


def test_eavesdrop_leg_and_supervisor_dtmf(sw):
    sw.add_phone("2001", answer_after=0.05, talk_time=0.3)
    client = authed(sw)
    target = "8083b868-e140-4c51-bfc3-72a13bd1db92"
    client.command(f"bgapi originate {{origination_uuid=s1}}sofia/internal/sup2001@127.0.0.1:5091 &eavesdrop({target})")
    frames = client.until(lambda f: f.event_name == "CHANNEL_HANGUP_COMPLETE")
    seq = [(f.event_name, f.event().get("Application")) for f in frames if f.event_name != "CHANNEL_STATE"]
    assert seq == [("CHANNEL_CREATE", None), ("CHANNEL_ANSWER", None), ("BACKGROUND_JOB", None),
                   ("CHANNEL_EXECUTE", "eavesdrop"), ("CHANNEL_HANGUP", None),
                   ("CHANNEL_EXECUTE_COMPLETE", "eavesdrop"), ("CHANNEL_HANGUP_COMPLETE", None)]
    assert frames[3].event()["Application-Data"] == target
    assert is_complete("eavesdrop")(frames[5])

"""The simulator's outbound socket against a plain-socket "controller", checked against the captures."""
from __future__ import annotations

import gevent
import pytest
from gevent import socket

from control.esl import frames as F
from control.esl.parser import FrameParser
from simulator.switch import Switch
from tests.capture_data import from_fs, to_fs

pytestmark = pytest.mark.integration


class Controller:
    """Accepts the simulator's outbound connection and speaks raw Event Socket."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.parser = FrameParser()
        self.frames: list[F.Frame] = []
        self.conn = None
        self.pending: list[F.Frame] = []

    def accept(self):
        with gevent.Timeout(5):
            self.conn, _ = self.listener.accept()

    def send(self, text: str):
        self.conn.sendall(text.encode())

    def until(self, pred, timeout=5.0) -> list[F.Frame]:
        got = []
        with gevent.Timeout(timeout):
            while True:
                while self.pending:
                    frame = self.pending.pop(0)
                    got.append(frame)
                    self.frames.append(frame)
                    if pred(frame):
                        return got
                data = self.conn.recv(65536)
                if not data:
                    return got
                self.pending = self.parser.feed(data)

    def close(self):
        if self.conn:
            self.conn.close()
        self.listener.close()


def is_complete(app):
    return lambda f: f.event_name == "CHANNEL_EXECUTE_COMPLETE" and f.event().get("Application") == app


def summary(frames):
    """(content type, event name, application) per frame; what must match the recording."""
    out = []
    for f in frames:
        if f.content_type.startswith("text/event"):
            out.append((f.content_type, f.event_name, f.event().get("Application")))
        elif f.content_type == "text/disconnect-notice":
            out.append((f.content_type, f.headers.get("Content-Disposition"), None))
        else:
            out.append((f.content_type, None, None))
    return out


@pytest.fixture
def rig():
    ctl = Controller()
    sw = Switch(controller=("127.0.0.1", ctl.port), esl_listen=("127.0.0.1", 0), media_s=0.05)
    sw.start()
    yield sw, ctl
    sw.stop()
    ctl.close()


def sendmsg(app, arg=None, event_uuid="11111111-2222-3333-4444-555555555555"):
    return F.encode_sendmsg(None, app, arg, event_uuid).decode()


def recorded(name):
    return FrameParser().feed("".join(from_fs(name)).encode())


def test_nolinger_session_matches_the_recording(rig):
    sw, ctl = rig
    handle = sw.place_call(caller="1000", did="4000")
    ctl.accept()
    for command in to_fs("outbound-nolinger"):
        ctl.send(command)
        if "execute-app-name" in command:
            app = command.split("execute-app-name: ")[1].split("\n")[0]
            ctl.until(is_complete(app))
        else:
            ctl.until(lambda f: True)
    ctl.until(lambda f: f.content_type == "text/disconnect-notice")
    ours = [s for s in summary(ctl.frames) if s[1] != "CHANNEL_PARK"]
    theirs = [s for s in summary(recorded("outbound-nolinger")) if s[1] != "CHANNEL_PARK"]
    assert ours == theirs
    assert handle.done.wait(2)
    assert handle.result["hangup_cause"] == "NORMAL_CLEARING" and handle.result["hangup_by"] == "switch"


def test_event_headers_follow_freeswitch_order(rig):
    sw, ctl = rig
    sw.place_call(caller="1000", did="4000")
    ctl.accept()
    ctl.send("connect\n\n")
    data = ctl.until(lambda f: True)[0]
    rec = recorded("outbound-ivr")[0]
    assert list(data.headers)[-4:] == ["Content-Type", "Reply-Text", "Socket-Mode", "Control"]
    assert data.headers["Reply-Text"] == "%2BOK%0A"
    ours = [k for k in data.headers if not k.startswith("variable_")]
    theirs = [k for k in rec.headers if not k.startswith("variable_")]
    assert ours == theirs
    ctl.send("myevents\n\n")
    ctl.until(lambda f: f.content_type == "command/reply")
    ctl.send(sendmsg("answer", event_uuid="6e062acd-4999-412a-add7-936e89bcc0eb"))
    frames = ctl.until(is_complete("answer"))
    execute = next(f for f in frames if f.event_name == "CHANNEL_EXECUTE")
    rec_exec = next(f for f in recorded("outbound-ivr") if f.event_name == "CHANNEL_EXECUTE")
    assert execute.event()["Application-UUID"] == "6e062acd-4999-412a-add7-936e89bcc0eb"
    ours = [k for k, _ in F.event_pairs(execute.body)]
    theirs = [k for k, _ in F.event_pairs(rec_exec.body)]
    assert ours[:13] == theirs[:13]
    strip = lambda names: [n for n in names if not n.startswith("variable_")]  # noqa: E731
    assert strip(ours) == strip(theirs)
    assert [f.event_name for f in frames if f.content_type == "text/event-plain"] == \
        ["CHANNEL_PARK", "CHANNEL_EXECUTE", "CHANNEL_ANSWER", "CHANNEL_EXECUTE_COMPLETE"]


def test_play_and_get_digits_with_scripted_digit_then_timeout(rig):
    sw, ctl = rig
    sw.place_call(caller="1000", did="4000", inputs=["2", None])
    ctl.accept()
    for cmd in ("connect", "myevents", "linger"):
        ctl.send(cmd + "\n\n")
        ctl.until(lambda f: f.content_type == "command/reply")
    arg = r"1 1 2 300 # tone_stream://%(100,0,440) tone_stream://%(50,0,300) ivr_choice \d"
    ctl.send(sendmsg("play_and_get_digits", arg))
    frames = ctl.until(is_complete("play_and_get_digits"))
    names = [f.event_name for f in frames if f.event_name]
    assert names[-2:] == ["DTMF", "CHANNEL_EXECUTE_COMPLETE"]
    done = frames[-1].event()
    assert done["variable_ivr_choice"] == "2" and done["variable_read_result"] == "success"
    assert frames[-2].event()["DTMF-Source"] == "RTP"
    started = gevent.get_hub().loop.now()
    ctl.send(sendmsg("play_and_get_digits", arg))
    frames = ctl.until(is_complete("play_and_get_digits"))
    elapsed = gevent.get_hub().loop.now() - started
    done = frames[-1].event()
    assert done["variable_read_result"] == "failure" and "variable_ivr_choice" not in done
    assert 2 * (0.1 + 0.3 + 0.05) - 0.05 <= elapsed < 2.0
    ctl.send("getvar ivr_choice\n\n")
    assert ctl.until(lambda f: True)[0].headers["Reply-Text"] == "-ERR command not found"
    ctl.send("getvar read_result\n\n")
    assert ctl.until(lambda f: True)[0].headers["Reply-Text"] == "failure"


def test_caller_hangup_during_digits_and_linger_then_exit(rig):
    sw, ctl = rig
    handle = sw.place_call(caller="1000", did="4000", patience=0.3)
    ctl.accept()
    for cmd in ("connect", "myevents", "linger"):
        ctl.send(cmd + "\n\n")
        ctl.until(lambda f: f.content_type == "command/reply")
    ctl.send(sendmsg("play_and_get_digits", r"1 1 3 5000 # a.wav b.wav ivr_choice \d"))
    frames = ctl.until(lambda f: f.content_type == "text/disconnect-notice")
    names = [f.event_name for f in frames if f.event_name and f.event_name != "CHANNEL_PARK"]
    assert names == ["CHANNEL_EXECUTE", "CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_UNPARK",
                     "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_STATE", "CHANNEL_STATE", "CHANNEL_HANGUP_COMPLETE"]
    assert frames[-1].headers["Content-Disposition"] == "linger"
    assert frames[-1].headers["Linger-Time"] == "-1"
    assert handle.result["patience_expired"] and handle.result["hangup_by"] == "caller"
    ctl.send(sendmsg("playback", "a.wav"))
    assert ctl.until(lambda f: True)[0].headers["Reply-Text"] == "+OK"
    ctl.send(f"api uuid_break {handle.uuid} all\n\n")
    assert ctl.until(lambda f: True)[0].body == "-ERR No such channel!\n"
    ctl.send("exit\n\n")
    frames = ctl.until(lambda f: f.content_type == "text/disconnect-notice")
    assert [f.content_type for f in frames] == ["command/reply", "text/disconnect-notice"]
    assert frames[-1].headers["Content-Disposition"] == "disconnect"


def test_bridge_app_to_a_phone_that_never_answers(rig):
    sw, ctl = rig
    sw.add_phone("1001", answer_after=None)
    handle = sw.place_call(caller="1000", did="4000")
    ctl.accept()
    for cmd in ("connect", "myevents", "linger 1"):
        ctl.send(cmd + "\n\n")
        ctl.until(lambda f: f.content_type == "command/reply")
    ctl.send(sendmsg("answer"))
    ctl.until(is_complete("answer"))
    ctl.send(sendmsg("bridge", "{leg_timeout=1}sofia/internal/agent1001@127.0.0.1:5090"))
    frames = ctl.until(lambda f: f.content_type == "text/disconnect-notice", timeout=5)
    names = [f.event_name for f in frames if f.event_name]
    assert names.index("CHANNEL_HANGUP") < names.index("CHANNEL_EXECUTE_COMPLETE")
    assert handle.result["hangup_cause"] == "ALLOTTED_TIMEOUT"
    frames = ctl.until(lambda f: f.content_type == "text/disconnect-notice", timeout=3)
    assert frames[-1].headers["Content-Disposition"] == "disconnect"


def test_bridge_app_answered_and_agent_hangs_up(rig):
    sw, ctl = rig
    sw.add_phone("1001", answer_after=0.1, talk_time=0.2)
    handle = sw.place_call(caller="1000", did="4000")
    ctl.accept()
    for cmd in ("connect", "myevents", "linger"):
        ctl.send(cmd + "\n\n")
        ctl.until(lambda f: f.content_type == "command/reply")
    ctl.send(sendmsg("bridge", "user/1001"))
    frames = ctl.until(is_complete("bridge"))
    names = [f.event_name for f in frames if f.event_name and f.event_name != "CHANNEL_PARK"]
    assert names == ["CHANNEL_EXECUTE", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_EXECUTE_COMPLETE"]
    bridge = next(f for f in frames if f.event_name == "CHANNEL_BRIDGE").event()
    assert bridge["Bridge-A-Unique-ID"] == handle.uuid and bridge["Other-Type"] == "originatee"
    assert frames[-1].event()["variable_DIALSTATUS"] == "SUCCESS"
    assert handle.result["answered_by_agent"] == "1001"


def test_nixevent_leaves_out_event_types_myevents_would_deliver(rig):
    sw, ctl = rig
    sw.place_call(caller="1000", did="4000")
    ctl.accept()
    for cmd in ("connect", "myevents", "nixevent CHANNEL_EXECUTE CHANNEL_ANSWER CHANNEL_STATE", "linger"):
        ctl.send(cmd + "\n\n")
        reply = ctl.until(lambda f: f.content_type == "command/reply")[-1]
    assert [f.headers["Reply-Text"] for f in ctl.frames if f.content_type == "command/reply"][-2] == "+OK events nixed"
    ctl.send(sendmsg("answer"))
    frames = ctl.until(is_complete("answer"))
    assert [f.event_name for f in frames if f.content_type == "text/event-plain"] == ["CHANNEL_EXECUTE_COMPLETE"]
    ctl.send("nixevent\n\n")
    reply = ctl.until(lambda f: f.content_type == "command/reply")[-1]
    assert reply.headers["Reply-Text"] == "-ERR no keywords supplied"


def test_before_the_answer_each_execute_waits_for_the_park_tick_and_uuid_answer_does_not(rig):
    """switch_ivr_park without media sleeps 20 ms, then takes one queued command (switch_ivr.c)."""
    sw, ctl = rig
    sw.place_call(caller="1000", did="4000")
    ctl.accept()
    for cmd in ("connect", "myevents", "linger"):
        ctl.send(cmd + "\n\n")
        ctl.until(lambda f: f.content_type == "command/reply")
    started = gevent.get_hub().loop.now()
    ctl.send(sendmsg("set", "a=1", "11111111-0000-0000-0000-000000000001")
             + sendmsg("set", "b=2", "11111111-0000-0000-0000-000000000002"))
    ctl.until(lambda f: f.event_name == "CHANNEL_EXECUTE_COMPLETE"
              and f.event().get("Application-UUID", "").endswith("2"))
    assert gevent.get_hub().loop.now() - started >= 0.02   # two ticks at least one tick apart
    channel = sw.channels()[0]
    ctl.send(f"api uuid_answer {channel.uuid}\n\n")
    reply = ctl.until(lambda f: f.content_type == "api/response")[-1]
    assert reply.body == "+OK\n" and channel.answered_us
    ctl.send("api uuid_answer no-such-uuid\n\n")
    assert ctl.until(lambda f: f.content_type == "api/response")[-1].body == "-ERROR\n"

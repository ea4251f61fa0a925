"""The caller's socket decodes only the events a handler wants (control/esl/protocol.py, outbound.py)."""
from __future__ import annotations

import gevent
import gevent.event
from gevent import socket

from control.esl import frames as F
from control.esl.frames import Frame
from control.esl.outbound import OutboundChannel
from control.esl.protocol import plain_header


def event(name: str, **headers) -> bytes:
    pairs = [("Event-Name", name), ("Unique-ID", "caller-1"),
             *[(k.replace("_", "-"), v) for k, v in headers.items()],
             *[(f"variable_x{i}", "a%20b") for i in range(50)]]
    return F.encode_event_plain(pairs)


def test_plain_header_reads_one_header_without_the_rest():
    body = "Event-Name: CHANNEL_EXECUTE\nApplication-UUID: u1\nContent-Length: 30\n\nEvent-Subclass: not-a-header\n"
    assert plain_header(body, "Event-Name") == "CHANNEL_EXECUTE"
    assert plain_header(body, "Application-UUID") == "u1"
    assert plain_header(body, "Event-Subclass") is None      # only in the inner body
    assert plain_header("A: 1", "Event-Name") is None


def test_only_wanted_events_are_decoded(monkeypatch):
    decoded: list[str] = []
    real = Frame.event

    def counting(self):
        headers = real(self)
        decoded.append(headers.get("Event-Name"))
        return headers

    monkeypatch.setattr(Frame, "event", counting)
    ours, theirs = socket.socketpair()
    channel = OutboundChannel(("127.0.0.1", 0), ours)
    got = gevent.event.AsyncResult()
    channel.register_handle("DTMF", lambda e: got.set(e.headers["DTMF-Digit"]))
    waited = gevent.event.AsyncResult()
    channel._pending_apps["app-we-wait-for"] = waited
    theirs.sendall(event("CHANNEL_EXECUTE", Application="playback")              # no handler
                   + event("CHANNEL_EXECUTE_COMPLETE", Application_UUID="hold-music")  # nobody waits
                   + event("CHANNEL_EXECUTE_COMPLETE", Application_UUID="app-we-wait-for")
                   + event("DTMF", DTMF_Digit="7")
                   + event("CHANNEL_HANGUP", Hangup_Cause="NORMAL_CLEARING")
                   + event("CHANNEL_HANGUP_COMPLETE", Hangup_Cause="NORMAL_CLEARING"))  # after the HANGUP
    assert got.get(timeout=2) == "7"
    assert waited.get(timeout=2)["Application-UUID"] == "app-we-wait-for"
    assert waited.get()["variable_x0"] == "a b"                   # decoded in full when wanted
    channel.hungup.wait(2)
    gevent.sleep(0.05)
    assert decoded == ["CHANNEL_EXECUTE_COMPLETE", "DTMF", "CHANNEL_HANGUP"]
    assert channel.hangup_event["Hangup-Cause"] == "NORMAL_CLEARING"
    theirs.close()          # FreeSWITCH closes the socket after the hangup
    channel.gone.wait(2)
    channel.stop()

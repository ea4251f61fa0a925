"""The caller's socket decodes only the events a handler wants (control/esl/protocol.py, outbound.py)."""
from __future__ import annotations

import gevent
import gevent.event
from gevent import socket

from control.esl import frames as F
from control.esl import protocol
from control.esl.frames import PlainEvent, parse_plain_event, plain_header
from control.esl.outbound import OutboundChannel


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

    class Counting(PlainEvent):
        def __init__(self, text):
            super().__init__(text)
            decoded.append(self.get("Event-Name"))

    monkeypatch.setattr(protocol, "PlainEvent", Counting)
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


def test_lazy_headers_read_as_the_full_parse_does():
    text = F.encode_event_plain([("Event-Name", "CHANNEL_HANGUP_COMPLETE"), ("Hangup-Cause", "USER_BUSY"),
                                 ("Hangup-Cause", "SECOND"), ("variable_note", "50% off: a&b"),
                                 ("Empty", "")], body="Inner: not-a-header\n").split(b"\n\n", 1)[1].decode()
    lazy, full = PlainEvent(text), parse_plain_event(text)
    assert lazy["Hangup-Cause"] == "USER_BUSY"                    # the first of duplicates, as the parse
    assert lazy.get("variable_note") == "50% off: a&b"            # url-decoded
    assert lazy.get("Inner") is None and "Inner" not in lazy      # the inner body is not a header
    assert lazy.get("Empty") == "" and "Empty" in lazy
    assert lazy.get("Content-Length") is None                     # the body's length is not a header
    assert lazy["_body"] == "Inner: not-a-header\n"
    assert dict(lazy) == full and len(lazy) == len(full)

"""Replay every recorded FreeSWITCH session through the parser, and write it back byte for byte."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from control.esl import frames as F
from control.esl.parser import FrameParser, ProtocolError
from tests.capture_data import from_fs, names


def reencode(frame: F.Frame) -> bytes:
    ctype = frame.content_type
    if ctype == "text/event-plain":
        pairs = F.event_pairs(frame.body)
        body = dict(pairs).get("_body")
        return F.encode_event_plain([p for p in pairs if p[0] != "_body"], body)
    if ctype == "text/event-json":
        pairs = F.json_event_pairs(frame.body)
        body = dict(pairs).get("_body")
        if body is not None:
            pairs = pairs[:-2]  # Content-Length and _body, re-added by the encoder
        return F.encode_event_json(pairs, body)
    if ctype == "api/response":
        return F.encode_api_response(frame.body)
    if ctype == "auth/request":
        return F.encode_auth_request()
    if ctype == "command/reply" and "Event-Name" in frame.headers:
        headers = {k: F.unquote(v) for k, v in frame.headers.items()
                   if k not in ("Content-Type", "Reply-Text", "Socket-Mode", "Control")}
        return F.encode_channel_data_reply(headers)
    if ctype == "command/reply":
        extra = tuple((k, v) for k, v in frame.headers.items() if k not in ("Content-Type", "Reply-Text"))
        return F.encode_command_reply(frame.headers["Reply-Text"], extra)
    if ctype == "text/disconnect-notice" and frame.headers.get("Content-Disposition") == "linger":
        return F.encode_linger_notice(frame.headers["Controlled-Session-UUID"], frame.headers["Channel-Name"],
                                      int(frame.headers["Linger-Time"]))
    if ctype == "text/disconnect-notice":
        return F.encode_disconnect_notice(frame.headers.get("Controlled-Session-UUID"))
    raise AssertionError(f"unexpected frame type {ctype!r}")


@pytest.mark.parametrize("name", names())
def test_capture_parses_into_its_frames_and_reencodes_byte_for_byte(name):
    recorded = from_fs(name)
    frames = FrameParser().feed("".join(recorded).encode())
    assert len(frames) == len(recorded)
    for frame, raw in zip(frames, recorded):
        assert reencode(frame).decode() == raw


@pytest.mark.parametrize("name", names())
def test_capture_parses_byte_by_byte(name):
    stream = "".join(from_fs(name)).encode()
    parser, frames = FrameParser(), []
    for i in range(len(stream)):
        frames += parser.feed(stream[i:i + 1])
    assert len(frames) == len(from_fs(name))
    assert parser.pending == 0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=60))
def test_random_chunking_gives_the_same_frames(cuts):
    stream = "".join(from_fs("outbound-bridge-outbound")).encode()
    parser, frames, pos = FrameParser(), [], 0
    for cut in cuts:
        frames += parser.feed(stream[pos:pos + cut])
        pos += cut
    frames += parser.feed(stream[pos:])
    whole = FrameParser().feed(stream)
    assert [(f.headers, f.body) for f in frames] == [(f.headers, f.body) for f in whole]


def test_events_keep_content_length_first_and_duplicate_headers():
    raw = [r for r in from_fs("outbound-nolinger") if "CHANNEL_HANGUP_COMPLETE" in r[:400]][0]
    assert raw.startswith("Content-Length: ")
    frame = FrameParser().feed(raw.encode())[0]
    pairs = F.event_pairs(frame.body)
    assert [k for k, _ in pairs].count("Hangup-Cause") == 2
    assert frame.event()["Event-Name"] == "CHANNEL_HANGUP_COMPLETE"


def test_background_job_body_is_exposed():
    raw = [r for r in from_fs("outbound-bridge-inbound") if "BACKGROUND_JOB" in r][0]
    event = FrameParser().feed(raw.encode())[0].event()
    assert event["Job-Command"] == "originate"
    assert event["_body"].startswith("+OK ") and event["_body"].endswith("\n")


def test_json_event_values_are_strings():
    raw = [r for r in from_fs("inbound-json") if '"DTMF"' in r][0]
    event = FrameParser().feed(raw.encode())[0].event()
    assert event["DTMF-Digit"] == "5" and event["DTMF-Source"] == "ENDPOINT"


def test_url_encoding_matches_freeswitch():
    assert F.url_encode("Caller 1000") == "Caller%201000"
    assert F.url_encode("sip:1000@127.0.0.1:5070") == "sip%3A1000%40127.0.0.1%3A5070"
    assert F.url_encode("already%3Aencoded") == "already%3Aencoded"
    assert F.url_encode("50%off") == "50%25off"
    assert F.url_encode("%3a %A") == "%253a%20%25A"       # only an upper-case %XX counts as encoded
    assert F.url_encode("é\x7f\t") == "%C3%A9%7F%09"


def _char_by_char(value: str) -> str:
    """switch_url_encode's rules spelled out one character at a time (the encoder is one regex)."""
    out = []
    for i, ch in enumerate(value):
        if ch == "%" and all(c in "0123456789ABCDEF" for c in value[i + 1:i + 3]) and len(value) >= i + 3:
            out.append(ch)
        elif ch in "\r\n #%&+:;<=>?@[\\]^`{|}\"" or ord(ch) < 32 or ord(ch) > 126:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
       | st.text(alphabet="%3AFaf:@ x\n"))
def test_url_encoding_is_freeswitch_rules_and_round_trips(value):
    encoded = F.url_encode(value)
    assert encoded == _char_by_char(value)
    if "%" not in value:
        assert F.unquote(encoded) == value


@pytest.mark.parametrize("garbage", [
    b"this is not a header\n\n",
    b"Content-Length: -5\n\n",
    b"Content-Length: abc\n\n",
    b"Content-Type: api/response\nContent-Length: 3\n\n\xff\xfe\xfd",
    b"\x00\x01\x02: \x03\n\n\x04",
])
def test_garbage_is_a_protocol_error(garbage):
    with pytest.raises(ProtocolError):
        FrameParser().feed(garbage)


def test_truncated_frame_waits_for_more_without_emitting():
    raw = from_fs("outbound-ivr")[3].encode()
    parser = FrameParser()
    assert parser.feed(raw[:-10]) == []
    assert parser.pending > 0
    assert len(parser.feed(raw[-10:])) == 1


def test_oversized_header_block_is_refused():
    with pytest.raises(ProtocolError):
        FrameParser().feed(b"X-A: " + b"a" * (2 << 20))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_or_hang(data):
    parser = FrameParser()
    try:
        frames = parser.feed(data)
    except ProtocolError:
        return
    assert all(isinstance(f, F.Frame) for f in frames)


def test_unknown_headers_pass_through():
    frame = FrameParser().feed(b"Content-Type: command/reply\nReply-Text: +OK\nX-Custom-Thing: 1\n\n")[0]
    assert frame.headers["X-Custom-Thing"] == "1"

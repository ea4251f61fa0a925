"""The simulator's faster event writing (simulator/encoding.py and the caches behind Channel.event)
sends the same bytes as the shared encoders in control/esl/frames.py, kept here as the reference."""
from __future__ import annotations

import json
import time
from email.utils import formatdate

import gevent

from control.esl import frames as F
from simulator import encoding
from simulator.channels import VARIABLES, Channel
from simulator.events import Events
from simulator.switch import Switch

AWKWARD = ["", "plain", "Ann O'Neil", "José & Zoë", "100%", "%41 already", "%zz", "a+b=c?d", "line\r\nbreak",
           "tab\there", "{x|y}", "[ipv6]:5060", "sip:1001@host;transport=tcp", "漢字", "\x7f\x00", "#hash"]


def _channels(switch):
    chans = []
    for i, text in enumerate(AWKWARD):
        inbound = Channel(switch, f"in-{i}-{text}", "inbound", f"sofia/external/{text}@127.0.0.1",
                          caller=f"+1555{i:04d}{text}", caller_name=text, destination=f"1800{i}",
                          extra_vars={"note": text, "count": i})
        outbound = Channel(switch, f"out-{i}", "outbound", f"sofia/internal/{1000 + i}{text}", caller=f"1800{i}",
                           caller_name="Hotline", destination=f"{1000 + i}", user=f"{1000 + i}")
        chans += [inbound, outbound]
    return chans


def _events(ch, text):
    """The kinds of event a channel emits, walking its life (answer, bridge, vars, hangup)."""
    yield ch.event("CHANNEL_CREATE")
    ch.set_state("CS_ROUTING", emit=False)
    yield ch.event("CHANNEL_STATE", variables=False)
    ch.answered_us = ch.progress_us = 1_700_000_000_123_456
    ch.answer_state = "answered"
    yield ch.event("CHANNEL_ANSWER")
    ch.vars["current_application"] = "playback"
    ch.vars["current_application_data"] = text
    yield ch.event("CHANNEL_EXECUTE", extra=[("Application", "playback"), ("Application-Data", text),
                                             ("Application-UUID", "u-1")])
    yield ch.event("DTMF", extra=[("DTMF-Digit", "#"), ("DTMF-Duration", 2240), ("DTMF-Source", "RTP")],
                   variables=False)
    ch.bridged_us = 1_700_000_001_000_000
    yield ch.event("CHANNEL_BRIDGE", prefix=[("Bridge-A-Unique-ID", ch.uuid), ("Bridge-B-Unique-ID", text)])
    ch.hangup_cause, ch.hangup_us, ch.answer_state = "NORMAL_CLEARING", 1_700_000_009_000_000, "hangup"
    ch.vars["hangup_cause"] = "NORMAL_CLEARING"
    yield ch.event("CHANNEL_HANGUP_COMPLETE", prefix=[("Hangup-Cause", "NORMAL_CLEARING")])
    yield ch.event("CHANNEL_EXECUTE", extra=[("Application", "uuid_bridge")], calling="CHANNEL_EXECUTE/uuid_bridge")


def test_events_are_the_bytes_of_the_shared_encoders():
    switch = Switch()
    chans = _channels(switch)
    for a, b in zip(chans[0::2], chans[1::2]):
        a.other, b.other, a.is_a_leg = b, a, True        # Other-Leg-* blocks
    seen = 0
    for rounds in range(2):                              # the second time from the remembered values
        for ch, text in zip(chans, [t for t in AWKWARD for _ in (0, 1)]):
            for pairs in _events(ch, text):
                event = encoding.OutEvent(pairs[0][1], pairs)
                assert event.plain() == F.encode_event_plain(pairs)
                assert event.json() == F.encode_event_json(pairs)
                seen += 1
            data = ch.channel_data()
            assert encoding.encode_channel_data_reply(data) == F.encode_channel_data_reply(data)
    assert seen == 2 * len(chans) * 8


def test_an_event_with_a_body_or_a_dict_is_the_bytes_of_the_shared_encoder():
    headers = {"Event-Name": "BACKGROUND_JOB", "Job-UUID": "j 1", "Job-Command": "originate", "Count": 3}
    for body in (None, "", "+OK 1234\n", "-ERR José & co\n"):
        assert encoding.encode_event_plain(headers, body) == F.encode_event_plain(headers, body)
        assert encoding.OutEvent("BACKGROUND_JOB", list(headers.items()), body).plain() == \
            F.encode_event_plain(list(headers.items()), body)


def test_remembered_strings_do_not_stand_for_equal_non_strings():
    assert encoding.url_encode("True") == "True"
    assert encoding.url_encode(True) == "True"
    assert encoding.url_encode(1) == "1"
    assert encoding.url_encode(1.0) == "1.0"


def test_the_profile_block_follows_the_channel_values():
    switch = Switch()
    a, b = _channels(switch)[2:4]
    first = a.profile("Caller")
    assert a.profile("Caller") == first == a._build_profile("Caller")
    a.answered_us, a.bridged_us, a.caller_name = 11, 22, "Renamed"
    again = a.profile("Caller")
    assert again != first and again == a._build_profile("Caller")
    assert ("Caller-Caller-ID-Name", "Renamed") in again
    assert a.profile("Other-Leg") == a._build_profile("Other-Leg") != again
    assert b.profile("Caller") == b._build_profile("Caller")


def test_event_dates_match_formatting_every_time_even_at_a_seconds_edge():
    events = Events(set())
    base = float(int(time.time()))
    for offset in (0.0, 0.25, 0.999998, 0.9999994, 0.9999995, 0.9999999, 1.0, 1.5, 3600.0, 3600.9999996):
        now = base + offset
        expected = (time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)), formatdate(now, usegmt=True))
        assert events._dates(now) == expected, offset
        assert events._dates(now) == expected, offset    # again, maybe from the cache


def test_finished_greenlets_are_not_kept():
    switch = Switch()
    done = []
    running = [switch.spawn(done.append, i) for i in range(5)] + [switch.spawn_later(0.01, done.append, 9)]
    assert len(switch._greenlets) == 6
    gevent.joinall(running)
    gevent.sleep(0)
    assert sorted(done) == [0, 1, 2, 3, 4, 9] and not switch._greenlets


def _show_channels_as_before(switch) -> str:
    rows = [{"uuid": ch.uuid, "direction": ch.direction, "created": str(ch.created_us // 1_000_000),
             "created_epoch": str(ch.created_us // 1_000_000), "name": ch.name, "state": ch.state,
             "cid_name": ch.caller_name, "cid_num": ch.caller, "dest": ch.destination,
             "application": ch.vars.get("current_application", ""),
             "application_data": ch.vars.get("current_application_data", ""),
             "callstate": ch.call_state, "callee_name": "", "callee_num": "", "call_uuid": ch.uuid}
            for ch in switch.channels()]
    if not rows:
        return '{"row_count": 0}\n'
    return json.dumps({"row_count": len(rows), "rows": rows}, separators=(",", ":"))


def test_show_channels_is_the_text_it_was_as_channels_change():
    switch = Switch()
    assert switch.api.cmd_show("channels as json") == _show_channels_as_before(switch)
    chans = _channels(switch)
    for ch in chans:
        switch.registry.register(ch)
    before = switch.api.cmd_show("channels as json")
    assert before == _show_channels_as_before(switch)
    for ch, text in zip(chans, [t for t in AWKWARD for _ in (0, 1)]):
        ch.state, ch.call_state = "CS_EXECUTE", "ACTIVE"
        ch.vars["current_application"], ch.vars["current_application_data"] = "playback", text
    after = switch.api.cmd_show("channels as json")
    assert after == _show_channels_as_before(switch) != before
    switch.channel_gone(chans[0])
    assert switch.api.cmd_show("channels as json") == _show_channels_as_before(switch)


def test_the_memo_keeps_what_was_used_lately_within_its_bound():
    memo = encoding.Remembered(3)
    for key in "abc":
        memo.put(key, key.upper())
    memo.put("d", "D")                       # full: a, b, c become old
    assert memo.get("a") == "A"              # found in old, back in young
    for key in "efg":
        memo.put(key, key.upper())           # d, a, e young -> old; b, c dropped
    assert memo.get("b") is None and memo.get("c") is None
    assert memo.get("a") == "A" and memo.get("g") == "G"
    assert len(memo.young) + len(memo.old) <= 2 * memo.size


def test_queued_frames_are_written_whole_and_in_order_until_close():
    from gevent import socket as gsocket

    from simulator.connection import Connection

    ours, theirs = gsocket.socketpair()
    conn = Connection(ours)
    frames = [F.encode_event_plain([("Event-Name", "CUSTOM"), ("N", str(i))]) for i in range(200)]
    for frame in frames:
        conn.send(frame)
    conn.close_after_flush()
    conn.send(b"never written")
    conn.join()
    received = b""
    while chunk := theirs.recv(65536):
        received += chunk
    assert received == b"".join(frames)


def test_channel_variables_are_filled_as_before():
    switch = Switch()
    for direction in ("inbound", "outbound"):
        for text in AWKWARD + ["{{did}}", "{{uuid}}{{user}}"]:
            ch = Channel(switch, f"u-{text}", direction, f"sofia/internal/{text}", caller=text, caller_name=text,
                         destination=f"9{text}", user=text)
            fill = {"{{uuid}}": ch.uuid, "{{caller}}": text, "{{caller_name}}": text, "{{did}}": f"9{text}",
                    "{{dest}}": ch.name.split("/", 2)[-1], "{{user}}": text or f"9{text}"}
            expected = {}
            for key, value in VARIABLES[direction]:
                for old, new in fill.items():
                    value = value.replace(old, new)
                expected[key] = value
            expected["channel_name"] = ch.name
            assert ch.vars == expected


def _headers_as_before(ch, extra=(), prefix=(), variables=True):
    """Channel.event's pairs after the standard headers, built without the caches."""
    pairs = list(prefix)
    legs = [leg for leg in (ch, ch.other) if leg is not None]
    for leg in legs:
        leg.profile = leg._build_profile          # channel_headers without the cache
    try:
        pairs += ch.channel_headers()
    finally:
        for leg in legs:
            del leg.profile
    if variables:
        pairs += [(f"variable_{k}", v) for k, v in ch.vars.items()]
    return pairs + list(extra)


def test_event_headers_follow_every_change_to_the_channel():
    switch = Switch()
    chans = _channels(switch)
    a, b = chans[0], chans[5]
    changes = [
        lambda: None,
        lambda: a.vars.__setitem__("current_application", "playback"),
        lambda: a.vars.update({"DIALSTATUS": "SUCCESS", "bridge_uuid": b.uuid}),
        lambda: a.vars.pop("DIALSTATUS"),
        lambda: a.vars.__setitem__("current_application", "park"),
        lambda: setattr(a, "other", b),
        lambda: setattr(b, "answered_us", 123),
        lambda: setattr(a, "state", "CS_EXECUTE"),
        lambda: setattr(a, "hangup_cause", "NORMAL_CLEARING"),
    ]
    for change in changes:
        change()
        for _ in range(2):
            assert a.event("CHANNEL_EXECUTE", extra=[("Application", "x")])[13:] == \
                _headers_as_before(a, extra=[("Application", "x")])
            assert a.event("CHANNEL_STATE", variables=False)[13:] == _headers_as_before(a, variables=False)
    assert ("variable_bridge_uuid", b.uuid) in a.event("CHANNEL_EXECUTE")
    assert not any(k == "variable_DIALSTATUS" for k, _ in a.event("CHANNEL_EXECUTE"))

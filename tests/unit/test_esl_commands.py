"""control/esl/commands.py: every command parses back, as FreeSWITCH reads it, to what was meant.

The reader is simulator/fs_strings.py, a port of FreeSWITCH's own splitting (switch_separate_string,
cleanup_separated_string, switch_find_end_paren, switch_event_create_brackets, originate_function);
test_simulator_fs_strings.py pins that port to the C source's behaviour.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from control.esl import commands
from simulator import fs_strings

AWKWARD = [
    "O'Brien, \"Bob\" {x} \\",
    "ends with a backslash \\",
    "\\\\double",
    "it's",
    'say "hi"',
    "  padded  ",
    "a,b,c",
    "{braces}",
    "}{",
    "{",
    "${jndi:x}",
    "line\nbreak\r\ttab",
    "张伟",
    "José Müller",
    "a=b=c",
    "^^;x",
    "'",
    "''",
    "\\'",
    "&park()",
]


def read_originate(command: str) -> tuple[dict[str, str], str, str]:
    verb, _, rest = command.partition(" ")
    assert verb == "originate"
    assert "\n" not in command and "\r" not in command   # one line on the Event Socket
    return fs_strings.originate(rest)


def expected(value: str) -> str:
    """What the switch should end up with: the text itself, braces neutralised if they could break."""
    return commands._neutral_braces(value.replace("\0", ""))


@pytest.mark.parametrize("name", AWKWARD)
def test_a_caller_id_name_reaches_the_new_leg_as_written(name):
    command = commands.originate({"origination_uuid": "leg-1", "origination_caller_id_name": name,
                                  "hotline_call": "call-1"}, "user/1001")
    variables, dial, exten = read_originate(command)
    assert variables == {"origination_uuid": "leg-1", "origination_caller_id_name": expected(name),
                         "hotline_call": "call-1"}
    assert (dial, exten) == ("user/1001", "&park()")


@pytest.mark.parametrize("name", ["O'Brien", "a,b", "x y", "张伟", "José", "line\nbreak", "{x}", "\\"])
def test_ordinary_awkward_names_round_trip_exactly(name):
    variables, _, _ = read_originate(commands.originate({"origination_caller_id_name": name}, "user/1001"))
    assert variables["origination_caller_id_name"] == name


def test_unbalanced_braces_and_expansions_are_neutralised_not_passed_on():
    for name, seen in [("}{", ")("), ("{", "("), ("${x}", "$(x)"), ("$\\{x}", "$\\(x)")]:
        variables, _, _ = read_originate(commands.originate({"origination_caller_id_name": name}, "user/1001"))
        assert variables["origination_caller_id_name"] == seen


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True), st.text(max_size=40),
                       max_size=6))
def test_any_text_in_any_variable_parses_back_to_one_originate(values):
    command = commands.originate(values, "user/1001", "eavesdrop", "0b1e7c3a-1111-4222-8333-444455556666")
    variables, dial, exten = read_originate(command)
    assert variables == {k: expected(v) for k, v in values.items() if expected(v)}
    assert dial == "user/1001"
    assert fs_strings.app_call(exten) == ("eavesdrop", "0b1e7c3a-1111-4222-8333-444455556666")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_as_an_api_argument_arrives_as_one_argument(value):
    command = commands.uuid_setvar("leg-1", "hotline_note", value)
    args = fs_strings.api_args(command.partition(" ")[2], 3)
    assert args == ["leg-1", "hotline_note", value.replace("\0", "")]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_any_text_in_an_inline_transfer_stays_one_application(value):
    command = commands.uuid_transfer_inline("leg-1", "endless_playback", value)
    args = fs_strings.api_args(command.partition(" ")[2], 5)
    assert args[0] == "leg-1" and args[2] == "inline"
    steps = fs_strings.separate_string(args[1], ",", 128)
    assert len(steps) == 1 and steps[0].partition(":") == ("endless_playback", ":", value.replace("\0", ""))


def test_paths_with_spaces_and_quotes_reach_uuid_record_whole():
    command = commands.uuid_record("leg-1", "start", "/var/rec/it's a call.wav")
    assert fs_strings.api_args(command.partition(" ")[2], 5) == ["leg-1", "start", "/var/rec/it's a call.wav"]


def test_simple_commands_are_what_freeswitch_documents():
    assert commands.uuid_bridge("a", "b") == "uuid_bridge a b"
    assert commands.uuid_break("a") == "uuid_break a all"
    assert commands.uuid_kill("a") == "uuid_kill a NORMAL_CLEARING"
    assert commands.uuid_kill("a", "ORIGINATOR_CANCEL") == "uuid_kill a ORIGINATOR_CANCEL"
    assert commands.uuid_setvar("a", "park_after_bridge") == "uuid_setvar a park_after_bridge"
    assert commands.uuid_setvar("a", "park_after_bridge", True) == "uuid_setvar a park_after_bridge True"
    assert commands.uuid_hold("a") == "uuid_hold a" and commands.uuid_hold("a", on=False) == "uuid_hold off a"
    assert commands.uuid_exists("a") == "uuid_exists a"
    assert commands.uuid_transfer("a", "support", "XML", "transfer") == "uuid_transfer a support XML transfer"
    assert commands.uuid_record("a", "mask", "/r/a.wav") == "uuid_record a mask /r/a.wav"
    assert (commands.originate({"origination_uuid": "l", "ignore_early_media": True}, "user/1001")
            == "originate {origination_uuid=l,ignore_early_media=true}user/1001 &park()")
    assert commands.originate({"x": "John Smith"}, "user/1001") == r"originate {x=John\sSmith}user/1001 &park()"


@pytest.mark.parametrize("call", [
    lambda: commands.uuid_kill("a b"),
    lambda: commands.uuid_kill("a", "bad cause"),
    lambda: commands.uuid_bridge("a", "b;c"),
    lambda: commands.uuid_setvar("a", "bad name", "x"),
    lambda: commands.originate({"bad-name": "x"}, "user/1001"),
    lambda: commands.originate({}, "user/10 01"),
    lambda: commands.originate({}, "user/1001", "eavesdrop", "x)y"),
    lambda: commands.user_dial("user/{extension}", "10,01", ""),
    lambda: commands.number_dial("loopback/{number}/public-outbound", "+1 555 0100"),
    lambda: commands.number_dial("loopback/{number}/public-outbound", "1001|sofia/gateway/x/1"),
    lambda: commands.uuid_record("a", "erase", "/r.wav"),
])
def test_identifiers_are_checked_with_an_error_naming_the_value(call):
    with pytest.raises(ValueError, match="'"):
        call()


def test_dial_strings_accept_ordinary_extensions_and_numbers():
    assert commands.user_dial("user/{extension}@{domain}", "1001", "pbx.example.com") == "user/1001@pbx.example.com"
    assert commands.number_dial("loopback/{number}/public-outbound", "+14155550100") == \
        "loopback/+14155550100/public-outbound"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_an_application_argument_stays_inside_its_header(value):
    message = commands.execute("set", f"hotline_note={value}", "6e062acd-4999-412a-add7-936e89bcc0eb")
    lines = message.split("\n")
    names = [line.split(":", 1)[0] for line in lines[1:]]
    assert lines[0] == "sendmsg" and names == ["call-command", "execute-app-name", "execute-app-arg", "Event-UUID"]
    assert lines[3] == "execute-app-arg: hotline_note=" + value.replace("\0", "").replace("\r\n", " ") \
        .replace("\r", " ").replace("\n", " ")

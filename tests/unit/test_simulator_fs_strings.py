"""simulator/fs_strings.py reads commands as FreeSWITCH's C code does (switch_utils.c, switch_event.c,
mod_commands.c). Each case below follows a line of that source."""
from __future__ import annotations

import pytest

from simulator import fs_strings as fs


@pytest.mark.parametrize("text, delim, pieces", [
    ("a,b,c", ",", ["a", "b", "c"]),
    ("a\\,b,c", ",", ["a,b", "c"]),                  # an escaped delimiter does not split, and loses its backslash
    ("'a,b',c", ",", ["a,b", "c"]),                  # quoted: not split, quotes removed
    ("it's,c", ",", ["it's", "c"]),                  # a lone quote (none after it) is an ordinary character
    ("  a  ,b", ",", ["a", "b"]),                    # spaces trimmed outside quotes
    ("' a ',b", ",", [" a ", "b"]),                  # and kept inside
    ("a\\sb,c\\nd", ",", ["a b", "c\nd"]),           # \s and \n
    ("a\\xb", ",", ["a\\xb"]),                       # any other backslash stays
    ("a\\\\,b", ",", ["a\\", "b"]),                  # an escaped backslash, then a real delimiter
    ("a,", ",", ["a"]),                              # a trailing delimiter opens no empty piece
    ("^^;a;b,c", ",", ["a", "b,c"]),                 # ^^<c> picks another delimiter
    ("k=v=w", "=", ["k", "v", "w"]),
])
def test_separate_string(text, delim, pieces):
    assert fs.separate_string(text, delim) == pieces


def test_the_last_slot_takes_the_rest_unsplit():
    assert fs.separate_string("k=v=w", "=", 2) == ["k", "v=w"]
    assert fs.api_args("uuid a b c d", 3) == ["uuid", "a", "b c d"]


@pytest.mark.parametrize("text, args", [
    ("a  b   c", ["a", "b", "c"]),
    ("a 'b c' d", ["a", "b c", "d"]),
    ("a b\\ c", ["a", "b\\ c"]),           # the backslash keeps the space from splitting; cleanup(0) keeps it
    ("a b\\sc", ["a", "b c"]),
    ("a it's", ["a", "it's"]),             # blank split toggles on every quote; a lone one is kept by cleanup
])
def test_api_args_split_on_blanks(text, args):
    assert fs.api_args(text) == args


def test_braces_are_counted_without_regard_to_quotes_or_escapes():
    assert fs.find_end_paren("{a='}'}", "{", "}") == 4
    assert fs.find_end_paren("{a={x}}rest", "{", "}") == 6
    assert fs.find_end_paren("{a=\\}}", "{", "}") == 4
    assert fs.find_end_paren("{a=1", "{", "}") is None


def test_originate_reads_the_variables_dial_string_and_application():
    variables, dial, exten = fs.originate("{a=1,b=x\\\\,y,c='p q'}user/1001@d &eavesdrop(leg-1)")
    assert variables == {"a": "1", "b": "x,y", "c": "p q"}
    assert dial == "user/1001@d" and fs.app_call(exten) == ("eavesdrop", "leg-1")


def test_the_api_split_removes_the_quotes_before_the_braces_are_read():
    # mod_commands splits ``originate``'s arguments with switch_separate_string(' '), whose cleanup
    # strips quotes: the comma inside 'x, y' then splits the variable block, and \'q\' loses its quotes
    variables, _, _ = fs.originate("{a=1,b='x, y',c=\\'q\\'}user/1001 &park()")
    assert variables == {"a": "1", "b": "x", "c": "q"}


def test_a_name_ending_in_a_backslash_broke_the_old_quoted_originate():
    # what actions.originate_agent wrote for the customer OBrien\ before control/esl/commands.py: the
    # backslash escapes the closing quote, the quote never closes, and originate gets one argument
    with pytest.raises(fs.BracketError, match="-USAGE"):
        fs.originate("{origination_uuid=l1,origination_caller_id_name='OBrien\\'}user/1001 &park()")


def test_an_item_without_a_value_sets_nothing():
    assert fs.brackets("{a=,b=2}x") == ({"b": "2"}, "x")

"""The controller's digit reads: the whole prompt in the application that reads the keys, the
entry the switch refused still seen, arguments that survive FreeSWITCH's split (issue 15)."""
from __future__ import annotations

import re

from control.handlers.media import Media
from control.ivr.commands import Collect, Prompt
from control.ivr.steps_input import ANY_DIGITS
from simulator.fs_strings import api_args


class Channel:
    def __init__(self, reply=None):
        self.apps = []
        self.reply = reply

    def execute(self, app, arg=None, wait=True, timeout=None):
        self.apps.append((app, arg))
        return self.reply


def text(words: str, language: str = "en") -> Prompt:
    return Prompt("text", words, language=language)


def test_a_prompt_of_files_is_one_file_string():
    media = Media(Channel(), "/p", "en")
    assert media.prompt_list([text("a")]) == f"/p/{text('a').wav}"
    assert media.prompt_list([text("a"), text("b")]) == f"file_string:///p/{text('a').wav}!/p/{text('b').wav}"
    assert media.channel.apps == []


def test_a_prompt_with_a_number_is_split_on_the_playback_delimiter_and_says_it_with_the_macro():
    channel = Channel()
    number = Prompt("say", "+1 415", say_type="NUMBER", method="iterated", language="zh")
    arg = Media(channel, "/p", "zh").prompt_list([text("a", "zh"), number])
    assert arg == f"/p/{text('a', 'zh').wav}!phrase:hotline_say:NUMBER:iterated:+1415"
    assert channel.apps == [("set", "playback_delimiter=!"), ("set", "language=zh")]


def collect(prompts=(), max_digits=1) -> Collect:
    return Collect(prompts=tuple(prompts), invalid_prompt=None, min_digits=1, max_digits=max_digits,
                   timeout_ms=5000, terminators="#", regex=ANY_DIGITS, digit_timeout_ms=3000, var="menu_m")


def test_the_whole_prompt_goes_to_play_and_get_digits_and_survives_its_split_on_spaces():
    channel = Channel({"variable_menu_m": "1"})
    media = Media(channel, "/my prompts", "en")
    assert media.collect(collect([text("a"), text("b")])) == "1"
    [(app, data)] = channel.apps
    assert app == "play_and_get_digits"
    assert api_args(data) == ["1", "1", "1", "5000", "#", f"file_string:///my prompts/{text('a').wav}!/my prompts/"
                              f"{text('b').wav}", "silence_stream://150", "menu_m", ANY_DIGITS, "3000"]


def test_dtmf_a_to_d_is_asked_for_and_an_entry_the_switch_refused_is_still_returned():
    assert all(re.search(ANY_DIGITS, key) for key in "0123456789*#ABCD")
    refused = Channel({"variable_menu_m_invalid": "A"})   # play_and_get_digits unsets the variable on no match
    assert Media(refused, "/p", "en").collect(collect()) == "A"
    assert Media(Channel({}), "/p", "en").collect(collect()) == ""

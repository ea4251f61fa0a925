"""Queue announcements: "you are number 3, about 2 minutes", rendered and spoken per language."""
from __future__ import annotations

import wave

from control.config import load_config
from control.handlers.media import Media
from control.ivr.announce import announcement, fixed_texts
from control.ivr.loader import load_flows
from control.ivr.prompts import render_all


class Channel:
    def __init__(self):
        self.apps = []

    def execute(self, app, arg=None, wait=True, timeout=None):
        self.apps.append((app, arg))


def test_announcement_speaks_numbers_with_say_and_texts_from_wavs():
    channel = Channel()
    Media(channel, "/prompts", "en").play(announcement(3, 2, "en"))
    apps = [a for a, _ in channel.apps]
    assert apps == ["playback", "say", "playback", "say", "playback"]
    assert channel.apps[1][1] == "en NUMBER pronounced 3" and channel.apps[3][1] == "en NUMBER pronounced 2"
    assert channel.apps[0][1].startswith("/prompts/en-") and channel.apps[0][1].endswith(".wav")


def test_unknown_language_falls_back_to_english_and_mandarin_has_its_own():
    assert announcement(1, 1, "xx")[0].language == "en"
    assert announcement(1, 1, "zh")[0].text.startswith("您")


def test_prompt_rendering_includes_the_announcements(tmp_path):
    flows = load_flows(load_config(env={}).flows_dir)
    spoken = []

    def synth(text, language, path):
        spoken.append((language, text))
        with wave.open(path, "wb") as out:
            out.setnchannels(1), out.setsampwidth(2), out.setframerate(16000)
            out.writeframes(b"\0\0" * 1600)

    render_all(flows, tmp_path, synth=synth, extra=fixed_texts())
    assert fixed_texts() <= set(spoken)

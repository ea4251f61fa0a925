"""Prompt files: names, what the controller plays, rendering to 8 kHz mono WAV (espeak-ng faked)."""
from __future__ import annotations

import math
import struct
import wave

import pytest

from control.ivr import prompts
from control.ivr.commands import Prompt, wav_name
from tests.unit.test_ivr_helpers import flows

FLOWS = """
main:
  languages: [en, zh]
  prompts:
    hi: {en: "Hello", zh: "你好"}
    both: {"*": [{text: "For English press 1", language: en}, {text: "中文请按二", language: zh}]}
    beep: {"*": {file: beep.wav}}
    n: {"*": [{say: "${caller}", type: DIGITS}]}
  nodes:
    a: {type: play, prompt: [hi, both, beep, n], next: b}
    b: {type: play, prompt: {en: ["Inline", "Two"], zh: "内联"}}
"""


def fake_espeak(calls):
    def synth(text, language, path):
        calls.append((text, language))
        rate = 22050
        with wave.open(path, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 10))) for i in range(rate // 2)))
    return synth


def test_texts_cover_every_language_and_explicit_item_languages():
    got = prompts.texts(flows(FLOWS))
    assert got == {("en", "Hello"), ("zh", "你好"), ("en", "For English press 1"), ("zh", "中文请按二"),
                   ("en", "Inline"), ("en", "Two"), ("zh", "内联")}


def test_prompt_path_for_text_file_and_stream():
    text = Prompt(kind="text", text="Hello", language="zh")
    assert text.wav == wav_name("zh", "Hello") and text.wav.startswith("zh-") and text.wav.endswith(".wav")
    assert wav_name("en", "Hello") != wav_name("zh", "Hello") != wav_name("zh", "Hello!")
    assert prompts.prompt_path(text, "en", "/p") == f"/p/{text.wav}"
    assert prompts.prompt_path(Prompt(kind="file", file="ivr/beep.wav"), "en", "/p") == "/p/ivr/beep.wav"
    assert prompts.prompt_path(Prompt(kind="file", file="/abs/x.wav"), "en", "/p") == "/abs/x.wav"
    assert prompts.prompt_path({"kind": "file", "file": "tone_stream://%(100,0,440)"}, "en", "/p").startswith("tone")
    with pytest.raises(ValueError):
        prompts.prompt_path(Prompt(kind="say", text="12", say_type="NUMBER"), "en", "/p")


def test_render_all_writes_8k_mono_16bit_and_skips_existing(tmp_path):
    calls = []
    rendered, skipped = prompts.render_all(flows(FLOWS), tmp_path, synth=fake_espeak(calls))
    assert len(rendered) == 7 and skipped == []
    assert ("你好", "zh") in calls
    with wave.open(str(tmp_path / wav_name("zh", "你好")), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert abs(w.getnframes() - 4000) <= 2      # half a second
    calls.clear()
    rendered, skipped = prompts.render_all(flows(FLOWS), tmp_path, synth=fake_espeak(calls))
    assert rendered == [] and len(skipped) == 7 and calls == []


def test_downsampling_averages_and_mixes_channels():
    stereo = struct.pack("<4h", 100, 300, 100, 300)   # two stereo frames at 8 kHz
    assert struct.unpack("<2h", prompts.to_8k_mono(stereo, 8000, 2)) == (200, 200)
    assert len(prompts.to_8k_mono(b"\x00\x00" * 16000, 16000, 1)) == 8000 * 2


def test_voices_for_english_and_mandarin():
    assert prompts.VOICES["en"] == "en" and prompts.VOICES["zh"] == "cmn"


def test_main_says_how_to_install_espeak_when_missing(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "main.yaml").write_text('nodes:\n  a: {type: play, prompt: {en: "Hello"}}\n')
    monkeypatch.setattr(prompts.shutil, "which", lambda name: None)
    code = prompts.main(["--flows-dir", str(folder), "--out", str(tmp_path / "out")])
    assert code == 1
    assert "apt-get install espeak-ng" in capsys.readouterr().err


def test_main_renders_with_espeak_when_present(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "main.yaml").write_text('nodes:\n  a: {type: play, prompt: {en: "Hello"}}\n')
    calls = []
    monkeypatch.setattr(prompts.shutil, "which", lambda name: "/usr/bin/espeak-ng")
    monkeypatch.setattr(prompts, "espeak", fake_espeak(calls))
    assert prompts.main(["--flows-dir", str(folder), "--out", str(tmp_path / "out")]) == 0
    from control.ivr.announce import fixed_texts

    # the flow's prompt, plus the queue announcements the controller speaks
    assert sorted(calls) == sorted([("Hello", "en")] + [(text, lang) for lang, text in fixed_texts()])
    assert (tmp_path / "out" / wav_name("en", "Hello")).exists()
    assert f"{1 + len(fixed_texts())} rendered" in capsys.readouterr().out


@pytest.mark.skipif(prompts.shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
@pytest.mark.parametrize("language, text", [("en", "Press one."), ("zh", "请按一。")])
def test_real_espeak_renders_8k_wav(tmp_path, language, text):
    target = tmp_path / wav_name(language, text)
    prompts.render(text, language, target)
    with wave.open(str(target), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() > 2000     # more than a quarter second of speech

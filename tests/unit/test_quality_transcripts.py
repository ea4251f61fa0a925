"""PocketSphinx on espeak-ng English speech (16 kHz stereo, the agent on the right channel): the
greeting and a forbidden word are spotted, a clean call raises no false alarm, and a Chinese call gets
its acoustic metrics with the transcript "not available for zh"."""
from __future__ import annotations

import pytest

from records.quality_config import load_quality
from tests.quality_audio import needs_espeak, write_call
from worker.quality import transcribe
from worker.quality_audio import read_stereo, speech_segments
from worker.quality_stt import PocketSphinx
from control.domain.quality.metrics import analyse
from control.domain.quality.phrases import spot

pytestmark = needs_espeak
RULES = load_quality("queues").for_queue("support").phrases


def _spotted(tmp_path, name, caller, agent, language="en"):
    path = tmp_path / f"{name}.wav"
    write_call(path, 28.0, caller, agent, rate=16000)
    audio = read_stereo(path)
    metrics = analyse(speech_segments(audio.caller, audio.rate), speech_segments(audio.agent, audio.rate),
                      audio.duration_s)
    status, words = transcribe(audio, metrics, language, [PocketSphinx()])
    return status, words, (spot(RULES, words) if words is not None else None), metrics


def test_greeting_disclosure_and_a_forbidden_word_are_found(tmp_path):
    status, words, hits, _ = _spotted(
        tmp_path, "rude", [(6.0, "Hello, I have a question about my invoice")],
        [(1.0, "Thank you for calling Hotline, my name is Alice"),
         (11.0, "This call is recorded for quality and training"),
         (18.0, "That is a stupid question")])
    assert status == "done" and words["agent"] and words["caller"]
    assert hits["greeting"]["found"] and hits["greeting"]["at_s"] < 3
    assert hits["disclosure"]["found"]
    assert hits["forbidden"]["found"] and hits["forbidden"]["phrase"] == "stupid" and not hits["forbidden"]["ok"]


def test_a_clean_call_has_no_false_alarm(tmp_path):
    _, _, hits, _ = _spotted(
        tmp_path, "clean", [(6.0, "Hello, I have a question about my invoice")],
        [(1.0, "Thank you for calling Hotline, my name is Alice"),
         (11.0, "I can see the payment on your account"),
         (18.0, "Is there anything else I can help you with")])
    assert hits["forbidden"]["found"] is False and hits["forbidden"]["ok"] is True
    assert hits["greeting"]["found"]


def test_chinese_calls_get_metrics_and_no_transcript(tmp_path):
    status, words, hits, metrics = _spotted(tmp_path, "zh", [(5.0, "Hello")], [(1.0, "Thank you for calling")],
                                            language="zh")
    assert status == "not available for zh" and words is None and hits is None
    assert metrics.first_agent_word_s == pytest.approx(1.0, abs=0.1)

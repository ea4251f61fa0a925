"""Acoustic metrics from real stereo recordings: espeak-ng speech placed at known offsets on each
channel, found by WebRTC's VAD (worker/quality_audio.py), measured by the pure core. Tolerance 0.1 s."""
from __future__ import annotations

import pytest

from control.domain.quality.metrics import Settings, analyse
from tests.quality_audio import needs_espeak, write_call
from worker.quality_audio import read_stereo, speech_segments

pytestmark = needs_espeak
TOL = 0.1

AGENT = [(1.0, "Thank you for calling Hotline, my name is Alice. How can I help you today?"),
         (14.0, "I can see the invoice on your account"),
         (25.0, "Is there anything else I can help you with")]
CALLER = [(6.5, "Hello, I have a question about my invoice from last month"),
          (15.0, "Yes that is the one"),              # talks over the agent
          (29.0, "No thank you, goodbye")]


def _close(found, truth):
    assert len(found) == len(truth), (found, truth)
    for (a, b), (x, y) in zip(found, truth):
        assert a == pytest.approx(x, abs=TOL) and b == pytest.approx(y, abs=TOL), (found, truth)


@pytest.mark.parametrize("rate", [8000, 16000])
def test_segments_and_metrics_match_the_placed_speech(tmp_path, rate):
    path = tmp_path / "call.wav"
    truth = write_call(path, 33.0, CALLER, AGENT, rate=rate)
    audio = read_stereo(path)
    assert audio.rate == rate and audio.duration_s == pytest.approx(33.0)
    caller, agent = speech_segments(audio.caller, rate), speech_segments(audio.agent, rate)
    _close(caller, truth["caller"])
    _close(agent, truth["agent"])

    m = analyse(caller, agent, audio.duration_s, hold_s=0.0, settings=Settings(long_gap_s=4.0))
    exact = analyse(truth["caller"], truth["agent"], 33.0, hold_s=0.0, settings=Settings(long_gap_s=4.0))
    for name in ("caller_talk_s", "agent_talk_s", "longest_silence_s", "talk_over_s", "first_agent_word_s"):
        # totals add one error per segment edge; each edge is within TOL, the sums within 2 * TOL
        tol = TOL if name in ("longest_silence_s", "first_agent_word_s") else 2 * TOL
        assert getattr(m, name) == pytest.approx(getattr(exact, name), abs=tol), name
    assert m.first_agent_word_s == pytest.approx(1.0, abs=TOL)
    assert m.talk_over_count == exact.talk_over_count == 1
    assert m.long_silences == exact.long_silences
    assert m.last_speaker == "caller"
    assert m.agent_talk_ratio == pytest.approx(exact.agent_talk_ratio, abs=0.02)


def test_silence_on_one_side_and_an_agent_who_never_speaks(tmp_path):
    path = tmp_path / "silent-agent.wav"
    truth = write_call(path, 12.0, [(2.0, "Hello? Is anybody there?")], [])
    audio = read_stereo(path)
    m = analyse(speech_segments(audio.caller, audio.rate), speech_segments(audio.agent, audio.rate), audio.duration_s)
    assert m.agent_talk_s == 0 and m.first_agent_word_s is None and m.agent_talk_ratio == 0
    speech = truth["caller"][0][1] - truth["caller"][0][0]
    assert m.silence_s == pytest.approx(12.0 - speech, abs=2 * TOL)
    assert m.longest_silence_s == pytest.approx(12.0 - truth["caller"][0][1], abs=TOL)


def test_a_steady_tone_is_not_judged_by_loudness(tmp_path):
    """The simulator's recordings are a quiet tone per side: the detector, not an energy threshold,
    decides, and a pure tone is not speech."""
    from simulator.recordings import write_stereo_wav

    path = tmp_path / "tone.wav"
    write_stereo_wav(str(path), 5.0)
    audio = read_stereo(path)
    assert speech_segments(audio.caller, audio.rate) == [] or sum(
        b - a for a, b in speech_segments(audio.caller, audio.rate)) < 5.0

"""The pure quality core: segments from detector frames, and a call's metrics from segments."""
from __future__ import annotations

import pytest

from control.domain.quality.metrics import Settings, analyse
from control.domain.quality.segments import from_frames, gaps, intersection, union


def test_frames_become_segments_with_short_pauses_bridged_and_clicks_dropped():
    flags = [False] * 10 + [True] * 50 + [False] * 10 + [True] * 40 + [False] * 100 + [True] * 5 + [False] * 10
    # 10 ms frames: speech 0.1-0.6, a 0.1 s pause (bridged), speech to 1.1; a 50 ms click at 2.1 is dropped
    assert from_frames(flags, 0.01) == [(0.1, 1.1)]
    assert from_frames(flags, 0.01, merge_gap_s=0.05) == [(0.1, 0.6), (0.7, 1.1)]
    assert from_frames(flags, 0.01, hangover_s=0.07) == [(0.1, 1.03)]


def test_segment_arithmetic():
    assert union([(0, 1), (3, 4)], [(0.5, 2)]) == [(0, 2), (3, 4)]
    assert intersection([(0, 2), (3, 5)], [(1, 4)]) == [(1, 2), (3, 4)]
    assert gaps([(1, 2), (3, 4)], 0, 6) == [(0, 1), (2, 3), (4, 6)]


def test_metrics_of_a_known_call():
    agent = [(1.0, 4.0), (10.0, 12.0), (20.0, 24.0)]
    caller = [(4.5, 9.0), (11.0, 12.5), (24.5, 26.0)]
    m = analyse(caller, agent, 30.0, hold_s=7.5, settings=Settings(long_gap_s=5.0))
    assert m.agent_talk_s == 9.0 and m.caller_talk_s == 7.5
    assert m.agent_talk_ratio == pytest.approx(9 / 16.5, abs=1e-3)
    # silences: 0-1, 4-4.5, 9-10, 12.5-20, 24-24.5, 26-30
    assert m.silence_s == pytest.approx(1 + 0.5 + 1 + 7.5 + 0.5 + 4)
    assert m.longest_silence_s == 7.5 and m.long_silences == 1
    assert m.talk_over_s == pytest.approx(1.0) and m.talk_over_count == 1
    assert m.first_agent_word_s == 1.0 and m.hold_s == 7.5
    assert m.last_speaker == "caller" and m.end_crosstalk is False


def test_backchannels_are_not_talk_over_and_silent_agents_have_no_first_word():
    m = analyse([(0.0, 5.0)], [(2.0, 2.2)], 6.0)
    assert m.talk_over_s == 0 and m.talk_over_count == 0
    silent = analyse([(1.0, 2.0)], [], 3.0)
    assert silent.first_agent_word_s is None and silent.agent_talk_ratio == 0.0 and silent.last_speaker == "caller"
    nobody = analyse([], [], 3.0)
    assert nobody.agent_talk_ratio is None and nobody.silence_s == 3.0 and nobody.last_speaker is None


def test_both_speaking_at_the_end_is_end_crosstalk():
    m = analyse([(5.0, 9.8)], [(8.5, 9.9)], 10.0)
    assert m.end_crosstalk is True and m.last_speaker == "agent"

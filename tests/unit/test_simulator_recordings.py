"""The demo's recording files (simulator/recordings.py): stereo, 8 kHz, as long as the recording."""
from __future__ import annotations

import wave

from simulator.recordings import MAX_S, write_stereo_wav


def test_a_recording_is_stereo_8khz_of_the_recorded_length(tmp_path):
    path = tmp_path / "2026" / "11" / "23" / "c1.wav"
    write_stereo_wav(str(path), 2.5)
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        assert wav.getnframes() == 20000
        frames = wav.readframes(wav.getnframes())
    left, right = frames[0::4], frames[2::4]
    assert left != right and any(frames)          # two different tones, not silence


def test_a_recording_is_capped(tmp_path):
    path = tmp_path / "long.wav"
    write_stereo_wav(str(path), MAX_S * 10)
    with wave.open(str(path)) as wav:
        assert wav.getnframes() == int(MAX_S * 8000)

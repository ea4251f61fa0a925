"""Read a stereo call recording and find speech on each channel with WebRTC's voice-activity detector.

FreeSWITCH's RECORD_STEREO puts the caller on the left channel and the agent on the right. The
detector (``webrtcvad``, Google's WebRTC VAD) takes 16-bit mono PCM at 8, 16, 32 or 48 kHz in 10, 20 or
30 ms frames; other rates are resampled to 16 kHz (nearest sample) first. A mono file is read as the
caller only (the agent side is then empty). The frames become segments in the pure core
(control/domain/quality/segments.py).
"""
from __future__ import annotations

import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

import webrtcvad

from control.domain.quality.segments import Segment, from_frames

VAD_RATES = (8000, 16000, 32000, 48000)
FRAME_MS = 10
# WebRTC's detector keeps saying "speech" for about 0.1 s after speech stops (its hangover); measured on
# espeak-ng speech at 8 and 16 kHz, aggressiveness 2, a segment ends 0.09-0.10 s late. Taking 0.07 s
# off leaves the ends within +-0.05 s (tests/unit/test_quality_audio.py).
HANGOVER_S = 0.07


@dataclass(frozen=True)
class StereoAudio:
    rate: int
    caller: array          # 16-bit samples
    agent: array

    @property
    def duration_s(self) -> float:
        return len(self.caller) / self.rate if self.rate else 0.0


def read_stereo(path: str | Path) -> StereoAudio:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: expected 16-bit PCM, got {8 * w.getsampwidth()}-bit")
        channels, rate = w.getnchannels(), w.getframerate()
        samples = array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    if channels == 1:
        return StereoAudio(rate, samples, array("h"))
    return StereoAudio(rate, samples[0::channels], samples[1::channels])


def resample(samples: array, rate: int, target: int) -> array:
    if rate == target or not samples:
        return samples
    step = rate / target
    return array("h", (samples[int(i * step)] for i in range(int(len(samples) / step))))


def speech_segments(samples: array, rate: int, aggressiveness: int = 2) -> list[Segment]:
    if rate not in VAD_RATES:
        samples, rate = resample(samples, rate, 16000), 16000
    vad = webrtcvad.Vad(aggressiveness)
    n = rate * FRAME_MS // 1000
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    data = samples.tobytes()
    step = 2 * n
    flags = (vad.is_speech(data[i:i + step], rate) for i in range(0, len(data) - step + 1, step))
    return from_frames(flags, FRAME_MS / 1000, hangover_s=HANGOVER_S)

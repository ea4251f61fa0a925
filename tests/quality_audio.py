"""Stereo call recordings with known speech timings, for the quality tests: espeak-ng renders each
utterance, its leading and trailing digital silence is cut (so the speech starts and ends exactly where
it is placed), and the clips are laid on the caller (left) or agent (right) channel at given offsets."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from array import array
from functools import lru_cache
from pathlib import Path

import pytest

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
EDGE = 64    # |sample| above this is sound: only to cut espeak-ng's own silent lead-in and tail


@lru_cache(maxsize=64)
def clip(text: str, rate: int = 8000, voice: str = "en-us") -> array:
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "raw.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-w", raw, text], check=True, capture_output=True, timeout=60)
        with wave.open(raw, "rb") as w:
            src, src_rate = array("h", w.readframes(w.getnframes())), w.getframerate()
    step = src_rate / rate
    out = array("h", (src[int(i * step)] for i in range(int(len(src) / step))))
    loud = [i for i, x in enumerate(out) if abs(x) > EDGE]
    return out[loud[0]:loud[-1] + 1]


def write_call(path: Path, duration_s: float, caller: list[tuple[float, str]], agent: list[tuple[float, str]],
               rate: int = 8000) -> dict[str, list[tuple[float, float]]]:
    """Writes the WAV; returns the exact speech segments per side."""
    n = int(duration_s * rate)
    left, right = array("h", bytes(2 * n)), array("h", bytes(2 * n))
    truth: dict[str, list[tuple[float, float]]] = {"caller": [], "agent": []}
    for side, channel, items in (("caller", left, caller), ("agent", right, agent)):
        for offset, text in items:
            c = clip(text, rate)
            at = int(offset * rate)
            channel[at:at + len(c)] = c[:max(0, n - at)]
            truth[side].append((offset, round(offset + len(c) / rate, 3)))
    frames = array("h", bytes(4 * n))
    frames[0::2], frames[1::2] = left, right
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())
    return truth

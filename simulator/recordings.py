"""Recording files for the demo: what ``uuid_record`` would leave on a real switch.

The simulator has no audio, so a recording is a stereo 8 kHz WAV of the recorded length with a
quiet tone per side (caller left, agent right, as FreeSWITCH's RECORD_STEREO lays them out), so
the console's player and the archive job have a real file. Off unless asked for
(``hotline simulate --write-recordings``): tests check the events, not files on disk.
"""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 8000
MAX_S = 300.0
AMPLITUDE = 1200          # about -29 dBFS: audible, not loud


def _frames(seconds: float) -> bytes:
    count = int(RATE * min(max(seconds, 0.1), MAX_S))
    left = [int(AMPLITUDE * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(RATE)]
    right = [int(AMPLITUDE * math.sin(2 * math.pi * 660 * i / RATE)) for i in range(RATE)]
    one_second = b"".join(struct.pack("<hh", a, b) for a, b in zip(left, right))
    whole, rest = divmod(count, RATE)
    return one_second * whole + one_second[:rest * 4]


def write_stereo_wav(path: str, seconds: float) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(target), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(_frames(seconds))

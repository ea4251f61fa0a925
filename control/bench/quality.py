"""Quality analysis throughput: minutes of stereo call audio analysed per CPU-second (docs/quality.md).

A call of ``--seconds`` is written once as a stereo WAV at ``--rate`` Hz: espeak-ng sentences take turns
on the agent (right) and caller (left) channels with pauses between them. The bench then times, in CPU
seconds of this process, ``--repeat`` runs of the acoustic analysis (read the WAV, WebRTC VAD on both
channels, the metrics) and one run of the English transcription of both sides (PocketSphinx), and
reports each as a multiple of real time (audio seconds per CPU second).

    hotline bench quality [--seconds 120] [--rate 8000] [--repeat 5] [--no-transcribe] [--json]

``--json`` prints one object with ``acoustic_x_realtime`` and ``transcribe_x_realtime`` (null with
``--no-transcribe``). Needs espeak-ng.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from array import array
from pathlib import Path

AGENT = ["Thank you for calling Hotline, my name is Alice, how can I help you today",
         "I can see the invoice on your account", "Let me check that payment for you",
         "Is there anything else I can help you with"]
CALLER = ["Hello, I have a question about my invoice", "Yes that is the one from last month",
          "I paid it twice by mistake", "No thank you, goodbye"]


def _clip(text: str, rate: int, tmp: str) -> array:
    raw = os.path.join(tmp, "clip.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", raw, text], check=True, capture_output=True, timeout=60)
    with wave.open(raw, "rb") as w:
        src, src_rate = array("h", w.readframes(w.getnframes())), w.getframerate()
    step = src_rate / rate
    return array("h", (src[int(i * step)] for i in range(int(len(src) / step))))


def write_call(path: Path, seconds: float, rate: int) -> None:
    n = int(seconds * rate)
    left, right = array("h", bytes(2 * n)), array("h", bytes(2 * n))
    with tempfile.TemporaryDirectory() as tmp:
        clips = [(right, _clip(t, rate, tmp)) for t in AGENT], [(left, _clip(t, rate, tmp)) for t in CALLER]
    at, turn = int(0.8 * rate), 0
    while at < n:
        channel, clip = clips[turn % 2][(turn // 2) % 4]
        channel[at:at + len(clip)] = clip[:max(0, n - at)]
        at += len(clip) + int((0.4 + 1.3 * (turn % 3)) * rate)     # pauses of 0.4, 1.7 and 3 s
        turn += 1
    frames = array("h", bytes(4 * n))
    frames[0::2], frames[1::2] = left, right
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())


def run(seconds: float, rate: int, repeat: int, transcribe: bool) -> dict:
    from control.domain.quality.metrics import analyse
    from worker.quality_audio import read_stereo, speech_segments
    from worker.quality_stt import PocketSphinx

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "call.wav"
        write_call(path, seconds, rate)
        started = time.process_time()
        for _ in range(repeat):
            audio = read_stereo(path)
            metrics = analyse(speech_segments(audio.caller, audio.rate), speech_segments(audio.agent, audio.rate),
                              audio.duration_s)
        acoustic = (time.process_time() - started) / repeat
        result = {"audio_s": seconds, "rate": rate, "speech_s": round(metrics.agent_talk_s + metrics.caller_talk_s, 1),
                  "acoustic_cpu_s": round(acoustic, 4), "acoustic_x_realtime": round(seconds / acoustic, 1),
                  "transcribe_cpu_s": None, "transcribe_x_realtime": None}
        if transcribe:
            engine = PocketSphinx()
            engine.transcribe(audio.caller[:rate], rate, [(0.0, 0.5)])    # load the model outside the timing
            started = time.process_time()
            words = [*engine.transcribe(audio.caller, rate, metrics.caller),
                     *engine.transcribe(audio.agent, rate, metrics.agent)]
            cpu = time.process_time() - started
            result.update(transcribe_cpu_s=round(cpu, 2), transcribe_x_realtime=round(seconds / cpu, 2),
                          words=len(words))
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hotline bench quality", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--rate", type=int, default=8000, choices=(8000, 16000))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-transcribe", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("espeak-ng") is None:
        print("hotline bench quality: needs espeak-ng to speak the test call (apt-get install espeak-ng)",
              file=sys.stderr)
        return 2
    result = run(args.seconds, args.rate, max(1, args.repeat), not args.no_transcribe)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['audio_s']:.0f} s of stereo audio at {result['rate']} Hz ({result['speech_s']} s of speech)")
        print(f"acoustic metrics: {result['acoustic_cpu_s']} CPU s, {result['acoustic_x_realtime']}x real time "
              f"({result['acoustic_x_realtime'] / 60:.1f} min of audio per CPU second)")
        if result["transcribe_x_realtime"] is not None:
            print(f"transcription (PocketSphinx, both sides): {result['transcribe_cpu_s']} CPU s, "
                  f"{result['transcribe_x_realtime']}x real time")
    return 0

"""`hotline bench quality`: one JSON object with the acoustic and transcription throughput; the acoustic
analysis keeps the issue's goal of at least 50x real time on one core."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.quality_audio import needs_espeak

pytestmark = needs_espeak


def test_bench_quality_prints_its_figures_as_json():
    done = subprocess.run([sys.executable, "-m", "control.cli", "bench", "quality", "--seconds", "20",
                           "--repeat", "2", "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["audio_s"] == 20 and result["speech_s"] > 5
    assert result["acoustic_x_realtime"] >= 50
    assert result["transcribe_x_realtime"] > 0 and result["words"] > 10

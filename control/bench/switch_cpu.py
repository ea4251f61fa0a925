"""The CPU a real FreeSWITCH takes from the machine, for ``hotline bench calls --switch-cpu-ms N``.

The simulator answers in microseconds of Python; a real FreeSWITCH spends 70-110 ms of CPU per call
(SIP, RTP, mixing, events; docs/benchmarks.md "Real switch") on threads with real-time priority.
On a box it shares with the controller that CPU is what moves the knee, so the simulator bench can
burn it: processes busy for ``rate x ms-per-call`` of each second between them, at the controller's
priority. (At raised priority, as FreeSWITCH's real-time threads, the burn starved the controller
at 10 calls/s where the real switch still carried it: docs/benchmarks.md, "Simulator and real switch".)

    python -m control.bench.switch_cpu DUTY   # busy DUTY (0..1) of every 10 ms until killed
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import time

SLICE_S = 0.01


class SwitchCpu:
    """Burner processes, re-sized per step: ``set_rate(calls_per_s)``; ``stop()`` at the end."""

    def __init__(self, ms_per_call: float):
        self.ms_per_call = ms_per_call
        self.procs: list[subprocess.Popen] = []

    def set_rate(self, calls_per_s: float) -> float:
        """Burn ``calls_per_s x ms_per_call`` of CPU per second (capped at the machine's cores); returns
        the cores burned."""
        self.stop()
        cores = min(float(os.cpu_count() or 1), calls_per_s * self.ms_per_call / 1000)
        if cores <= 0:
            return 0.0
        count = math.ceil(cores)
        for _ in range(count):
            self.procs.append(subprocess.Popen([sys.executable, "-m", "control.bench.switch_cpu", f"{cores / count:.3f}"]))
        return cores

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            proc.wait(5)
        self.procs = []


def burn(duty: float) -> None:
    while True:
        start = time.perf_counter()
        while time.perf_counter() - start < duty * SLICE_S:
            pass
        time.sleep(max(0.0, SLICE_S - (time.perf_counter() - start)))


if __name__ == "__main__":
    burn(min(1.0, max(0.0, float(sys.argv[1]))))

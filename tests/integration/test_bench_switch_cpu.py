"""``hotline bench calls --switch-cpu-ms``: the burner takes rate x ms-per-call of CPU per second."""
from __future__ import annotations

import time

import psutil
import pytest

from control.bench.switch_cpu import SwitchCpu

pytestmark = pytest.mark.integration


def test_the_switch_s_cpu_is_burned_in_proportion_to_the_call_rate():
    burner = SwitchCpu(ms_per_call=60)
    try:
        assert burner.set_rate(0) == 0.0 and burner.procs == []
        assert burner.set_rate(5) == pytest.approx(0.3)
        procs = [psutil.Process(p.pid) for p in burner.procs]
        assert len(procs) == 1
        for proc in procs:
            proc.cpu_percent(None)
        time.sleep(1.5)
        busy = sum(proc.cpu_percent(None) for proc in procs) / 100
        assert 0.15 < busy < 0.45, busy   # 0.3 of a core, give or take a loaded machine
    finally:
        burner.stop()
    assert burner.procs == []

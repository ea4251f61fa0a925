"""The type checker over control/, records/, worker/, web/ and reports/ (settings: pyproject.toml, [tool.mypy]).

The cache lives in the virtualenv (``HOTLINE_MYPY_CACHE`` moves it): a cold run took 38 s on the loaded
2-core dev machine, a warm one 5 s.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_finds_no_type_errors():
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed: it is in the test extra (make install, or pip install -e '.[test]')")
    cache = os.environ.get("HOTLINE_MYPY_CACHE") or str(Path(sys.prefix) / ".mypy_cache")
    done = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", cache, "--no-error-summary",
                           "--hide-error-context", "--no-pretty"],
                          cwd=ROOT, capture_output=True, text=True, timeout=280)
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert done.returncode == 0 and not errors, (
        f"mypy found {len(errors)} type errors (fix them, or annotate what it cannot see):\n"
        + (done.stdout + done.stderr)[-20000:])

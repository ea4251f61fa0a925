"""`hotline run|web|controller|worker` refuse to start with the demo's secrets outside demo mode
(issue 16: a forged cookie signed with the default key got admin pages). Real processes, real exit codes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.web_fixtures import seeded_sqlite

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path, **extra) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    seeded_sqlite(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_") and k not in ("REDIS_URL",
                                                                                            "DATABASE_URL")}
    env.update({"HOTLINE_DATABASE_URL": url, "HOTLINE_WEB_PORT": str(free_port()),
                "HOTLINE_OUTBOUND_PORT": str(free_port()), "HOTLINE_ESL_PORT": str(free_port()),
                "HOTLINE_REDIS_PREFIX": f"refusal-{free_port()}", **extra})
    return env


@pytest.mark.integration
@pytest.mark.parametrize("command", ["web", "controller", "worker", "run"])
def test_command_refuses_to_start_with_default_secrets_and_seeded_passwords(tmp_path, command):
    try:
        done = subprocess.run([sys.executable, "-m", "control.cli", command], env=_env(tmp_path), cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hotline {command} started with the default secret key, ClueCon and seeded passwords")
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"hotline {command}: refusing to start outside demo mode" in done.stderr
    for words in ("HOTLINE_SECRET_KEY", "ClueCon", "HOTLINE_ESL_PASSWORD", "hotline user passwd admin"):
        assert words in done.stderr, (words, done.stderr)


@pytest.mark.integration
def test_web_starts_once_the_secrets_are_set_and_no_seeded_password_works(tmp_path):
    import time

    import requests

    env = _env(tmp_path, HOTLINE_SECRET_KEY="s" * 40, HOTLINE_ESL_PASSWORD="a-real-one")
    for name in ("alice", "bob", "carol", "dave", "supervisor", "admin"):
        subprocess.run([sys.executable, "-m", "control.cli", "user", "disable", name], env=env, cwd=ROOT,
                       check=True, capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "control.cli", "web"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{env['HOTLINE_WEB_PORT']}/login", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.3)
        pytest.fail("hotline web did not serve /login: " + (proc.stderr.read() if proc.poll() is not None else ""))
    finally:
        proc.terminate()
        proc.wait(timeout=10)

"""Boot a real FreeSWITCH on freeswitch-conf/ + dialplan/ (skipped unless HOTLINE_FREESWITCH_BIN is set)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from control.config import ROOT
from control.fsconf import esl_api

BIN = os.environ.get("HOTLINE_FREESWITCH_BIN", "")

pytestmark = pytest.mark.freeswitch


def wait_for_port(host: str, port: int, timeout: float, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"FreeSWITCH exited with {proc.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {host}:{port} after {timeout} s")


@pytest.mark.skipif(not BIN, reason="set HOTLINE_FREESWITCH_BIN to a freeswitch binary")
def test_real_freeswitch_boots(tmp_path):
    conf = tmp_path / "freeswitch-conf"
    shutil.copytree(ROOT / "freeswitch-conf", conf, ignore=shutil.ignore_patterns("vars.local.xml"))
    shutil.copytree(ROOT / "dialplan", tmp_path / "dialplan")
    # SIP on loopback so the test needs no free public port.
    (conf / "vars.local.xml").write_text(
        "<include>\n"
        '  <X-PRE-PROCESS cmd="set" data="sip_ip=127.0.0.1"/>\n'
        '  <X-PRE-PROCESS cmd="set" data="rtp_ip=127.0.0.1"/>\n'
        "</include>\n")
    dirs = {name: tmp_path / name for name in ("log", "db", "run")}
    for d in dirs.values():
        d.mkdir()
    # -nf keeps the process in the foreground (-nc alone would fork into the background),
    # -run puts the pid file in the temporary directory.
    proc = subprocess.Popen([BIN, "-nonat", "-nc", "-nf", "-conf", str(conf), "-log", str(dirs["log"]),
                             "-db", str(dirs["db"]), "-run", str(dirs["run"])],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", 8021, 60, proc)
        status = esl_api("127.0.0.1", 8021, "ClueCon", "status")
        assert "is ready" in status, status
        assert esl_api("127.0.0.1", 8021, "ClueCon", "reloadxml").startswith("+OK")
        loaded = esl_api("127.0.0.1", 8021, "ClueCon", "module_exists mod_sofia")
        assert loaded.strip() == "true"
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

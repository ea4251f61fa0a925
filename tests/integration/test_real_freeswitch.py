"""Boot a real FreeSWITCH on freeswitch-conf/ + dialplan/ (skipped unless HOTLINE_FREESWITCH_BIN is set)."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
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


needs_freeswitch = pytest.mark.skipif(not BIN, reason="set HOTLINE_FREESWITCH_BIN to a freeswitch binary")


@pytest.fixture
def freeswitch(tmp_path):
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
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@needs_freeswitch
def test_real_freeswitch_boots(freeswitch):
    status = esl_api("127.0.0.1", 8021, "ClueCon", "status")
    assert "is ready" in status, status
    assert esl_api("127.0.0.1", 8021, "ClueCon", "reloadxml").startswith("+OK")
    loaded = esl_api("127.0.0.1", 8021, "ClueCon", "module_exists mod_sofia")
    assert loaded.strip() == "true"


@needs_freeswitch
def test_real_freeswitch_runs_one_call_through_the_controller(freeswitch, tmp_path, pg_database_url,
                                                              redis_prefix):
    """A loopback call to a DID enters the public context, reaches the controller over the
    outbound socket, runs its flow and ends with a call record in the database."""
    from sqlalchemy import select

    from records.db import session_factory
    from records.migrate import ensure_schema
    from records.models import Call

    ensure_schema(pg_database_url)
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "dids.yaml").write_text('default: bye\ndids: {"+18005550100": bye}\n')
    (flows / "bye.yaml").write_text("languages: [en]\nnodes:\n  bye: {type: hangup}\n")
    env = {**os.environ, "DATABASE_URL": pg_database_url, "HOTLINE_REDIS_PREFIX": redis_prefix,
           "REDIS_URL": os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
           "HOTLINE_FLOWS_DIR": str(flows), "HOTLINE_ESL_PORT": "8021"}
    controller = subprocess.Popen([sys.executable, "-m", "control.cli", "controller"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        wait_for_port("127.0.0.1", 8084, 30, controller)
        time.sleep(1.0)  # the controller's inbound Event Socket connects to FreeSWITCH
        reply = esl_api("127.0.0.1", 8021, "ClueCon", "originate loopback/+18005550100/public &park()")
        assert reply.startswith("+OK"), reply
        deadline, rows = time.monotonic() + 30, []
        while time.monotonic() < deadline and not rows:
            with session_factory(pg_database_url)() as session:
                rows = session.scalars(select(Call).where(Call.did == "+18005550100")).all()
            time.sleep(0.5)
        assert rows, "no call record was written"
        assert rows[0].outcome == "self_service", rows[0].outcome
    finally:
        controller.terminate()
        controller.wait(15)

"""Two real FreeSWITCH nodes (skipped unless HOTLINE_FREESWITCH_BIN names a freeswitch binary): fs-a and
fs-b, each booted on the shipped configuration with its own ports, switchname (HOTLINE_NODE_NAME) and the
other's address in hotline_nodes (HOTLINE_NODE_CIDRS), and one controller with both in switch_nodes.

A caller on fs-a reaches the agent whose phone is registered on fs-b: the controller finds the phone with
sofia_contact, originates the agent's leg on fs-a as a SIP call to fs-b (internode_dial_string), fs-b's
hotline_internode extension bridges it to user/<ext>, and uuid_bridge joins the two legs on fs-a. The
record says fs-a, from the FreeSWITCH-Switchname of the caller's socket.

Then a real Kamailio (kamailio/kamailio.cfg, Debian's package) in front of both: SIPp callers sent to
Kamailio are spread over the two nodes, and each call's record names the node that carried it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from control.bench.fsboot import boot, stop, write_tone
from control.bench.sipp import Sipp, free_udp_port, sipp_binary
from tests.integration.realswitch import Events, b_leg, call_row, originate, start_controller
from tests.integration.test_real_freeswitch import AGENT_EXT, AGENT_ID, BIN, DID, FLOW, QUEUE, _render_fs

pytestmark = [pytest.mark.freeswitch,
              pytest.mark.skipif(not BIN, reason="set HOTLINE_FREESWITCH_BIN to a freeswitch binary")]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    # the other node, and Kamailio relaying callers (both from 127.0.0.1 here)
    site = {"HOTLINE_NODE_CIDRS": "127.0.0.1/32", "HOTLINE_TRUNK_CIDRS": "127.0.0.1/32"}
    a = boot(BIN, tmp_path_factory.mktemp("fs-a"), site={**site, "HOTLINE_NODE_NAME": "fs-a",
                                                           "HOTLINE_RTP_START_PORT": 24000,
                                                           "HOTLINE_RTP_END_PORT": 24998})
    try:
        b = boot(BIN, tmp_path_factory.mktemp("fs-b"), site={
            **site, "HOTLINE_NODE_NAME": "fs-b", "HOTLINE_RTP_START_PORT": 25000, "HOTLINE_RTP_END_PORT": 25998,
            "HOTLINE_CONTROLLER": f"127.0.0.1:{a.controller_port}"})   # one controller for both
    except BaseException:
        stop(a.proc)
        raise
    try:
        yield a, b
    finally:
        stop(b.proc)
        stop(a.proc)


@pytest.fixture
def controller(nodes, tmp_path, pg_database_url, redis_prefix):
    a, b = nodes
    b.register_phone(AGENT_EXT, _render_fs(b, pg_database_url))   # the agent's phone is on fs-b only
    for name, text in {"flows/dids.yaml": f'default: fsreal\ndids: {{"{DID}": fsreal}}\n',
                       "flows/fsreal.yaml": FLOW, "queues/fsreal.yaml": QUEUE}.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    write_tone(tmp_path / "prompts" / "hello.wav")
    env = {**os.environ, "DATABASE_URL": pg_database_url, "HOTLINE_REDIS_PREFIX": redis_prefix,
           "REDIS_URL": os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
           "HOTLINE_FLOWS_DIR": str(tmp_path / "flows"), "HOTLINE_QUEUES_DIR": str(tmp_path / "queues"),
           "HOTLINE_PROMPTS_DIR": str(tmp_path / "prompts"), "HOTLINE_RECORDINGS_DIR": str(a.recordings),
           "HOTLINE_OUTBOUND_PORT": str(a.controller_port), "HOTLINE_RECORDS_SPOOL": str(tmp_path / "spool.jsonl"),
           "HOTLINE_METRICS_PORT": "0",
           "HOTLINE_SWITCH_NODES": json.dumps([
               {"name": "fs-a", "esl_host": "127.0.0.1", "esl_port": a.esl_port, "esl_password": a.password,
                "sip_host": "127.0.0.1", "sip_port": a.sip_port},
               {"name": "fs-b", "esl_host": "127.0.0.1", "esl_port": b.esl_port, "esl_password": b.password,
                "sip_host": "127.0.0.1", "sip_port": b.sip_port}])}
    log = tmp_path / "controller.log"
    proc = start_controller(env, log, timeout=60, args=("--login-all",))   # slow on a loaded box
    try:
        yield log
    finally:
        stop(proc)


def test_a_caller_on_one_node_reaches_an_agent_registered_on_the_other(nodes, controller, pg_database_url):
    a, b = nodes
    assert a.api("sofia_contact */" + AGENT_EXT).startswith("error/")   # not registered on fs-a
    events = Events(a.esl_port, a.password, "CHANNEL_EXECUTE CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE")
    try:
        caller_a = originate(a, {"origination_caller_id_number": "+14155550166"}, f"loopback/{DID}/public",
                             app="echo()")
        caller = b_leg(events, caller_a, "socket")
        bridge = events.wait("the caller bridged to the agent's leg", lambda e: e.get("Event-Name") == "CHANNEL_BRIDGE"
                             and caller in (e.get("Unique-ID"), e.get("Other-Leg-Unique-ID")), timeout=40)
        leg = bridge["Other-Leg-Unique-ID"] if bridge["Unique-ID"] == caller else bridge["Unique-ID"]
        name = a.api(f"uuid_getvar {leg} channel_name").strip()
        assert name == f"sofia/internal/hotline_node_{AGENT_EXT}@127.0.0.1:{b.sip_port}", name
        # on fs-b: the inter-node leg, bridged to the agent's phone (`show channels` reads FreeSWITCH's core
        # database, which its SQL thread fills a moment after the channel exists)
        deadline, rows = time.monotonic() + 10, []
        while not any(r.get("dest") == f"hotline_node_{AGENT_EXT}" for r in rows) and time.monotonic() < deadline:
            time.sleep(0.2)
            rows = json.loads(b.api("show channels as json")).get("rows") or []
        assert any(r.get("dest") == f"hotline_node_{AGENT_EXT}" for r in rows), rows
        assert a.api(f"uuid_kill {caller}").startswith("+OK")
        row = call_row(pg_database_url, caller)
        assert (row.node, row.outcome, row.agent_id) == ("fs-a", "answered", AGENT_ID)
        assert a.bad_log_lines() == [] and b.bad_log_lines() == []
    finally:
        events.close()


KAMAILIO = shutil.which("kamailio") or next((p for p in ("/usr/sbin/kamailio",) if Path(p).exists()), None)


@pytest.mark.skipif(KAMAILIO is None or not sipp_binary(), reason="needs kamailio and sipp (apt-get install kamailio sip-tester)")
def test_kamailio_spreads_callers_over_both_nodes_and_each_record_names_its_node(nodes, controller, pg_database_url,
                                                                                 tmp_path):
    from sqlalchemy import select

    from control.config import ROOT
    from records.db import session_factory
    from records.models import Call

    a, b = nodes
    (tmp_path / "dispatcher.list").write_text(f"1 sip:127.0.0.1:{a.sip_port}\n1 sip:127.0.0.1:{b.sip_port}\n")
    port = free_udp_port()
    with open(tmp_path / "kamailio.log", "wb") as log:
        kamailio = subprocess.Popen(
            [KAMAILIO, "-DD", "-E", "-f", str(ROOT / "kamailio" / "kamailio.cfg"), "-Y", str(tmp_path), "-m", "32",
             "-M", "8", "-A", f"LISTEN=udp:127.0.0.1:{port}", "-A", f'DS_LIST="{tmp_path / "dispatcher.list"}"',
             "-A", "DS_PING_INTERVAL=1"], stdout=log, stderr=subprocess.STDOUT)
    try:
        time.sleep(3)   # both nodes answered Kamailio's OPTIONS pings
        assert kamailio.poll() is None, (tmp_path / "kamailio.log").read_text(errors="replace")[-3000:]
        (tmp_path / "sipp").mkdir()
        sipp = Sipp("127.0.0.1", port, a.domain, workdir=tmp_path / "sipp")
        numbers = [f"+1415555{n:04d}" for n in range(170, 174)]
        calls = []
        for number in numbers:
            calls.append(sipp.call(DID, number, free_udp_port(), hold_ms=3000, ip="127.0.0.1"))
            time.sleep(0.5)
        for call in calls:
            call.wait(60)
        assert all(call.answered_at() for call in calls)
        rows: dict = {}
        deadline = time.monotonic() + 30
        while len(rows) < len(numbers) and time.monotonic() < deadline:
            with session_factory(pg_database_url)() as session:
                rows = {r.caller: r.node for r in session.scalars(select(Call).where(Call.caller.in_(numbers)))}
            time.sleep(0.3)
        assert sorted(rows.values()) == ["fs-a", "fs-a", "fs-b", "fs-b"], rows   # round-robin, each named
    finally:
        kamailio.terminate()
        try:
            kamailio.wait(10)
        except subprocess.TimeoutExpired:
            kamailio.kill()

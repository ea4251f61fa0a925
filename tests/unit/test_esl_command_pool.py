"""FreeSWITCH runs one Event Socket connection's api commands one at a time: the simulator models
it (simulator/latency.py), the controller's SwitchClient spreads commands over a pool of
connections so a slow command holds up no other, and times each command's wait and run."""
from __future__ import annotations

import time

import gevent
import pytest

from control.esl.inbound import CommandTimes, SwitchClient, command_name
from simulator.latency import CommandLatency
from simulator.switch import Switch

SLOW_S = 0.5


@pytest.fixture
def switch():
    sw = Switch(controller=("127.0.0.1", 1), command_latency=CommandLatency(0.0, {"show": SLOW_S}))
    sw.start()
    yield sw
    sw.stop()


def client_for(switch, command_connections: int) -> SwitchClient:
    client = SwitchClient("127.0.0.1", switch.esl_port, "ClueCon", reconnect_s=0.05,
                          command_connections=command_connections, report_s=0)
    client.start()
    assert client.wait_ready(5)
    deadline = time.monotonic() + 5
    while sum(c is not None for c in client._pool) < command_connections and time.monotonic() < deadline:
        gevent.sleep(0.01)
    return client


def quick_command_behind_a_slow_one(client: SwitchClient) -> float:
    slow = gevent.spawn(client.api, "show channels as json")
    gevent.sleep(0.05)     # the slow command is on the wire first
    start = time.monotonic()
    assert client.api("uuid_exists 00000000-0000-0000-0000-000000000000").strip() == "false"
    took = time.monotonic() - start
    slow.get(timeout=5)
    return took


def test_on_one_connection_a_quick_command_waits_for_the_slow_one(switch):
    client = client_for(switch, command_connections=0)
    try:
        assert quick_command_behind_a_slow_one(client) >= SLOW_S - 0.1
        times = client.times.summary()
        assert times["uuid_exists"]["queued_p99_ms"] >= (SLOW_S - 0.1) * 1000    # waited behind it
        assert times["uuid_exists"]["running_p99_ms"] < 100                       # ran quickly
        assert times["show"]["running_p99_ms"] >= (SLOW_S - 0.05) * 1000
    finally:
        client.stop()


def test_the_pool_runs_a_quick_command_beside_the_slow_one(switch):
    client = client_for(switch, command_connections=2)
    try:
        assert quick_command_behind_a_slow_one(client) < 0.2
        assert client.times.summary()["uuid_exists"]["queued_p99_ms"] < 100
    finally:
        client.stop()


def test_background_jobs_on_pool_connections_get_their_result_from_the_event_connection(switch):
    client = client_for(switch, command_connections=2)
    try:
        assert client.bgapi("uuid_exists 00000000-0000-0000-0000-000000000000").get(timeout=5).strip() == "false"
    finally:
        client.stop()


def test_command_names_and_times():
    assert command_name("api uuid_bridge a b") == "uuid_bridge"
    assert command_name("bgapi originate {x=1}user/100 &park()") == "bgapi originate"
    times = CommandTimes(keep=3)
    for n in range(5):
        times.add("status", n / 1000, 0.001)
    assert times.summary()["status"]["n"] == 3


def test_command_latency_parsing():
    latency = CommandLatency.parse("0.001, show=0.02,uuid_bridge=0.003")
    assert latency.of("show channels as json") == 0.02
    assert latency.of("uuid_kill x") == 0.001
    with pytest.raises(ValueError, match="name=seconds"):
        CommandLatency.parse("show=fast")
    with pytest.raises(ValueError, match="negative"):
        CommandLatency.parse("-1")

"""The reconciler's `show channels as json` on an Event Socket connection of its own (esl_reconcile_connection,
control/app.py `_channel_lists`): a slow `show` (1 s here, as on a saturated switch; the simulator holds
the connection while it runs, as FreeSWITCH does) no longer holds up commands on the command connections.
Real TCP against the switch simulator; docs/benchmarks.md, "The reconciler's own connection"."""
from __future__ import annotations

import time

import gevent
import pytest

from control.config import load_config
from control.esl.inbound import SwitchClient

pytestmark = pytest.mark.integration


def _command_waits(own: bool, seconds: float = 6.0) -> list[float]:
    from control.app import _channel_lists
    from simulator.latency import CommandLatency
    from simulator.switch import Switch

    switch = Switch(esl_listen=("127.0.0.1", 0), command_latency=CommandLatency(0.0002, {"show": 1.0}))
    switch.start()
    config = load_config(env={"HOTLINE_ESL_PORT": str(switch.esl_port)})
    pool = SwitchClient("127.0.0.1", switch.esl_port, "ClueCon", command_connections=4, report_s=0)
    lister = _channel_lists(config, SwitchClient)["default"] if own else pool
    clients = [pool, lister] if own else [pool]
    for client in clients:
        client.start()
    try:
        assert all(client.wait_ready(5) for client in clients)
        gevent.sleep(0.5)   # the command connections come up after the event connection
        waits: list[float] = []
        stop = time.monotonic() + seconds

        def shows():
            while time.monotonic() < stop:
                lister.api("show channels as json")
                gevent.sleep(1.0)

        def commands():
            while time.monotonic() < stop:
                started = time.monotonic()
                pool.api("uuid_exists nothing")
                waits.append(time.monotonic() - started)
                gevent.sleep(0.05)

        gevent.joinall([gevent.spawn(shows)] + [gevent.spawn(commands) for _ in range(10)])
        return waits
    finally:
        for client in clients:
            client.stop()
        switch.stop()


def test_commands_wait_behind_the_reconcilers_show_only_when_it_shares_their_connections():
    shared, own = _command_waits(own=False), _command_waits(own=True)
    assert max(shared) > 0.9                  # some commands sat behind a whole `show`
    assert max(own) < 0.4, sorted(own)[-5:]   # none did

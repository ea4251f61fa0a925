"""Redis Sentinel, for real: a primary, a replica and three redis-sentinel processes on free 127.0.0.1
ports (Debian's redis-sentinel package; `make test` installs it where missing). Clients built by the
one factory (control/store/redis_clients.py) follow a forced failover without a restart: the live
state, the publisher and the control channel's subscriber carry on against the new primary.

Skipped when the redis-sentinel binary is missing. The shared Redis on 6379 is never touched.
"""
from __future__ import annotations

import time
from types import SimpleNamespace

import gevent
import pytest

from control.bench.sentinels import Sentinels, available, wait
from control.config import load_config
from control.store.redis_clients import controller_client, parse_sentinels, redis_client

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not available(), reason="redis-sentinel is not installed (apt-get install redis-sentinel)")]
SERVICE = "hltest"
PREFIX = "{hltest-sentinel}"


def _wait(what: str, check, timeout: float = 20.0):
    try:
        return wait(what, check, timeout)
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def rig(tmp_path_factory):
    rig = Sentinels(SERVICE, tmp=tmp_path_factory.mktemp("sentinel"))
    try:
        yield rig.start()
    finally:
        rig.stop()


def sentinel_config(rig: Sentinels):
    # the URL's host and port are not used with Sentinel (port 1 would refuse): only its database number
    return load_config(env={}).replace(redis_url="redis://127.0.0.1:1/0", redis_prefix=PREFIX,
                                       redis_sentinels=rig.sentinel_list(), redis_sentinel_service=SERVICE)


def test_sentinels_are_read_from_a_string_or_a_list():
    assert parse_sentinels("a:26379, b:26380") == (("a", 26379), ("b", 26380))
    assert parse_sentinels(["a:1", ["b", 2]]) == (("a", 1), ("b", 2))
    assert parse_sentinels("") == ()
    with pytest.raises(ValueError):
        parse_sentinels("no-port")


def test_sentinels_without_a_service_name_are_refused():
    with pytest.raises(ValueError, match="redis_sentinel_service"):
        load_config(env={"HOTLINE_REDIS_SENTINELS": "127.0.0.1:26379"})    # at start, by every process
    config = load_config(env={}).replace(redis_sentinels="127.0.0.1:26379")
    with pytest.raises(ValueError, match="redis_sentinel_service"):
        redis_client(config)
    assert load_config(env={"HOTLINE_REDIS_SENTINELS": "127.0.0.1:26379",
                            "HOTLINE_REDIS_SENTINEL_SERVICE": "hotline"}).redis_sentinel_service == "hotline"


def test_clients_follow_a_failover_without_a_restart(rig):
    from control.handlers import control_channel
    from control.store.keys import Keys
    from control.store.publisher import RedisPublisher
    from control.domain.models import Agent, AgentState
    from control.store.redis_state import RedisState

    config = sentinel_config(rig)
    controller = controller_client(config, 50)        # the controller's (blocking pool)
    console = redis_client(config, socket_connect_timeout=3, socket_timeout=5)   # as web/live.py builds it
    store = RedisState(controller, config.redis_prefix)
    store.put_agent(Agent(id="alice", extension="1001", skills={}, queues=["support"], state=AgentState.AVAILABLE))
    old = rig.primary_port()
    assert old == rig.primary
    assert rig.direct(old).exists(Keys(PREFIX).agent("alice"))       # written to the primary

    # the control channel's subscriber (control/handlers/control_channel.py), on the factory's client
    acked: list[tuple[str, str]] = []
    manager = SimpleNamespace(running=True, redis=controller,
                              deps=SimpleNamespace(config=config,
                                                   consoles=SimpleNamespace(acked=lambda c, a: acked.append((c, a)))))
    listener = gevent.spawn(control_channel.listen, manager)
    channel = Keys(PREFIX).events("control")
    _wait("the subscriber", lambda: controller.publish(channel, '{"type": "pop_ack", "call_id": "c0", '
                                                                '"agent_id": "alice"}') and acked)

    rig.direct(rig.sentinels[0]).execute_command("SENTINEL", "FAILOVER", SERVICE)
    started = time.monotonic()
    new = _wait("the failover", lambda: rig.primary_port() != old and rig.primary_port())
    assert new == rig.replica
    _wait("the new primary to take writes", lambda: rig.direct(new).info("replication")["role"] == "master")
    # Replication is asynchronous: a write that reached the old primary between the promotion and its
    # demotion (a second or so; the sentinels then close every client connection on it) is lost with
    # its data when it resyncs from the new one. Live state is rebuilt and reconciled; records are in SQL.
    _wait("the old primary demoted", lambda: rig.direct(old).info("replication")["role"] == "slave")

    # the same client objects, no restart: the first writes land on the new primary
    def write_lands() -> bool:
        store.set_agent_state("alice", AgentState.BREAK, time.time(), reason="lunch")
        console.set(f"{PREFIX}:after-failover", "1")
        return True

    _wait("a write after the failover", write_lands, timeout=15)
    recovered_s = time.monotonic() - started
    assert rig.direct(new).get(f"{PREFIX}:after-failover") == b"1"
    assert rig.direct(new).hget(Keys(PREFIX).agent("alice"), "state") == b"break"
    assert store.get_agent("alice").break_reason == "lunch"
    assert recovered_s < 15

    # the publisher (XADD + PUBLISH script) and the subscriber carry on against the new primary
    publisher = RedisPublisher(console, PREFIX)
    _wait("the stream after the failover", lambda: publisher.publish("wallboard", {"type": "ping"}) or
          rig.direct(new).xlen(Keys(PREFIX).stream("wallboard")) >= 1)
    acked.clear()
    _wait("the subscriber after the failover",
          lambda: controller.publish(channel, '{"type": "pop_ack", "call_id": "c1", "agent_id": "alice"}') and acked,
          timeout=15)
    assert ("c1", "alice") in acked
    manager.running = False
    listener.kill()

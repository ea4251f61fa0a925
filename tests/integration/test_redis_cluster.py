"""The live state's Lua scripts on a real Redis Cluster: three redis-server nodes in cluster mode on
free 127.0.0.1 ports, made a cluster by ``redis-cli --cluster create``. The whole store contract
(tests/integration/test_store_contract.py) runs against them through redis-py's RedisCluster, with a
hash-tagged prefix (the default form, ``{hotline}``): every script declares its keys and they share
a slot. Without the hash tag the scripts' keys spread over slots, and the refusal is asserted.

Only the live state is tested here: the processes' clients speak to one server or to Sentinel
(control/store/redis_clients.py), not Cluster; RQ does not support Cluster (docs/scaling.md).
"""
from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import pytest
import redis

from control.domain.models import Agent, AgentState, Call, CallState
from control.store.keys import Keys
from control.store.redis_state import RedisState
from tests.conftest import free_port
from tests.integration.test_store_contract import *  # noqa: F401,F403 - the contract, run here again

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("redis-server") is None or shutil.which("redis-cli") is None,
                                 reason="redis-server and redis-cli are needed for a local cluster")]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    from redis.cluster import RedisCluster

    ports, procs = [cluster_port() for _ in range(3)], []
    try:
        for port in ports:
            data = tmp_path_factory.mktemp(f"cluster-{port}")
            procs.append(subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                           "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                                           "--save", "", "--appendonly", "no", "--dir", str(data)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        for port in ports:
            _wait(lambda p=port: redis.Redis(host="127.0.0.1", port=p).ping())
        subprocess.run(["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
                        "--cluster-replicas", "0", "--cluster-yes"], check=True, capture_output=True, timeout=30)
        _wait(lambda: all(redis.Redis(host="127.0.0.1", port=p).cluster("info")["cluster_state"] == "ok"
                          for p in ports))
        client = RedisCluster(host="127.0.0.1", port=ports[0])
        yield client
        client.close()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(5)


def cluster_port() -> int:
    """A free port whose cluster bus port (the port + 10000) is free and valid too."""
    import socket

    while True:
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def _wait(check, timeout: float = 15.0) -> None:
    deadline, last = time.monotonic() + timeout, None
    while True:
        try:
            if check():
                return
        except (redis.RedisError, OSError, KeyError) as exc:
            last = exc
        if time.monotonic() > deadline:
            pytest.fail(f"the local Redis Cluster did not come up ({last!r})")
        time.sleep(0.1)


@pytest.fixture
def store(cluster):   # overrides the contract's fixture: every contract test runs on the cluster
    return RedisState(cluster, "{hltest-" + uuid.uuid4().hex[:10] + "}")


def test_the_keys_of_a_tagged_prefix_are_on_one_node(store, cluster):
    store.put_agent(Agent(id="a1", extension="1001", state=AgentState.AVAILABLE))
    store.put_call(Call(id="c1", caller="+14155550100", did="+18005550100", queue="support", state=CallState.QUEUED))
    assert store.reserve("c1", "a1", "ctl", 30, 10.0) and store.confirm("c1", "a1", 11.0)
    keys = Keys(store.keys.prefix)
    slots = {cluster.keyslot(k) for k in (keys.agent("a1"), keys.call("c1"), keys.available(), keys.waiting(),
                                          keys.leases(), keys.seq())}
    assert len(slots) == 1


def test_without_the_hash_tag_the_scripts_are_refused(cluster):
    from redis.exceptions import RedisClusterException

    plain = RedisState(cluster, "hltest-plain-" + uuid.uuid4().hex[:6])   # no braces: keys spread over slots
    with pytest.raises((RedisClusterException, redis.ResponseError), match="slot|CROSSSLOT"):
        plain.put_call(Call(id="c1", caller="+14155550100", did="+18005550100", queue="support",
                            state=CallState.QUEUED))


# redis-py's ClusterPipeline refuses scripts (EVALSHA) in a pipeline, whatever their slots: the two
# operations that pipeline scripts (reserve_many: one round trip for a dispatch pass; defer: release +
# put_call + ZADD in one MULTI) are refused by the client. Asserted here in place of their contract
# tests, so a redis-py that lifts the limit shows up (docs/scaling.md, Redis).
def test_reserve_many_reserves_each_pair_in_order_as_reserve_would(store):
    from redis.exceptions import RedisClusterException

    store.put_agent(Agent(id="a1", extension="1001", state=AgentState.AVAILABLE))
    store.put_call(Call(id="c1", caller="+14155550100", did="+18005550100", queue="support", state=CallState.QUEUED))
    with pytest.raises(RedisClusterException, match="evalsha is blocked"):
        store.reserve_many([("c1", "a1")], "ctl", 30, 10.0)
    assert store.reserve("c1", "a1", "ctl", 30, 10.0)   # the script itself runs


def test_deferred_callback_calls_are_listed_until_due(store):
    from redis.exceptions import RedisClusterException

    store.put_call(Call(id="cb-1", caller="+14155550100", did="+18005550100", queue="support",
                        state=CallState.QUEUED, kind="callback"))
    with pytest.raises(RedisClusterException, match="evalsha is blocked"):
        store.defer(store.get_call("cb-1"), 150.0, None, AgentState.AVAILABLE, 100.0)
    assert store.requeue_due(130.0) == []   # requeue_deferred.lua runs on its own

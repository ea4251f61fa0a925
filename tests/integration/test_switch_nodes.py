"""Several FreeSWITCH nodes (issue 19, part 3): two simulated nodes, each with its own inbound Event
Socket and registered phones, and two controller processes configured with both (``switch_nodes``),
over real TCP, Redis and PostgreSQL (control/bench/nodes.py).

- calls on both nodes reach agents registered on either node (a SIP leg between the nodes, bridged to
  ``user/<ext>`` by the agent's node) and every record carries the node the call came in on;
- one node killed mid-traffic: its calls end with records (hang-up cause NODE_LOST), the calls of the
  other node bridged to its agents end too (no BYE comes: the media timeout), and no agent is left
  reserved, on a call or in wrap-up; the surviving node's calls still reach its agents.
"""
from __future__ import annotations

import os
import time

import gevent
import pytest

from control.domain.models import AgentState

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
DID = "+18005550100"


@pytest.fixture
def rig():
    from control.bench.nodes import NodesRig
    from tests.conftest import fresh_pg_database

    with fresh_pg_database() as url:
        rig = NodesRig(agents=6, controllers=2, database_url=url, redis_url=REDIS_URL, grace_s=3.0,
                       media_timeout_s=3.0)
        try:
            yield rig
        finally:
            print("rig folder", rig.tmp)
            rig.close(keep=bool(os.environ.get("HOTLINE_KEEP_RIG")))


def _records(rig, ids: set[str], wait_s: float = 20.0) -> dict:
    from sqlalchemy import select

    from records.db import session_factory
    from records.models import Call

    sessions, rows = session_factory(rig.database_url), {}
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        with sessions() as session:
            rows = {r.call_id: r for r in session.scalars(select(Call).where(Call.call_id.in_(ids)))}
        if set(rows) == ids:
            break
        gevent.sleep(0.3)
    return rows


def _agents(rig, wait_s: float, done) -> list:
    import redis

    from control.store.redis_state import RedisState

    store = RedisState(redis.Redis.from_url(REDIS_URL), rig.prefix)
    deadline = time.monotonic() + wait_s
    while True:
        agents = store.agents()
        if done(agents) or time.monotonic() > deadline:
            return agents
        gevent.sleep(0.3)


def _freed(rig, hit) -> None:
    """The agents of the calls the dead node carried, or whose phones were on it: none is left reserved,
    on a call or in wrap-up (the others may still be talking on the live node)."""
    busy = (AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP)
    ids = {f"b{rig.extensions.index(h.answered_by_agent)}" for _, h in hit}
    agents = _agents(rig, 30, lambda agents: not any(x.state in busy for x in agents if x.id in ids))
    assert ids and [(x.id, x.state) for x in agents if x.id in ids and x.state in busy] == []


def _wait(handles, seconds: float) -> None:
    gevent.wait([h.done for h in handles], timeout=seconds)


def _all_bridged(placed, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not all(h.bridged_at for _, h in placed) and time.monotonic() < deadline:
        gevent.sleep(0.2)
    assert all(h.bridged_at for _, h in placed), [h.result for _, h in placed]


def test_calls_on_both_nodes_reach_agents_on_either_node(rig):
    rig.add_phones(answer_after=0.2, talk_s=1.0)
    rig.start_controllers()
    a, b = rig.nodes
    placed = []
    for n, node in enumerate([a, a, b, b] * 3):   # agents are offered in turn, registered a, b, a, b...
        placed.append(rig.place_call(caller=f"+1415555{n:04d}", did=DID, node=node, patience=60))
        gevent.sleep(0.25)
    _wait([h for _, h in placed], 60)
    assert all(h.done.ready() for _, h in placed)
    assert all(h.answered_by_agent for _, h in placed), [h.result for _, h in placed]
    crossed = {(node.name, rig.registered[h.answered_by_agent]) for node, h in placed
               if rig.registered[h.answered_by_agent] != node.name}
    assert crossed == {("fs-a", "fs-b"), ("fs-b", "fs-a")}   # both ways across the nodes
    rows = _records(rig, {h.uuid for _, h in placed})
    assert {h.uuid: (node.name, "answered") for node, h in placed} == \
        {i: (r.node, r.outcome) for i, r in rows.items()}
    agents = _agents(rig, 15, lambda agents: all(a.state == AgentState.AVAILABLE for a in agents))
    assert [a.id for a in agents if a.state != AgentState.AVAILABLE] == []


def test_a_node_killed_mid_traffic_ends_its_calls_with_records_and_frees_its_agents(rig):
    rig.add_phones(answer_after=0.2, talk_s=30.0)   # talking when the node dies
    rig.start_controllers()
    a, b = rig.nodes
    placed = [rig.place_call(caller=f"+1415555{n:04d}", did=DID, patience=60) for n in range(6)]
    _all_bridged(placed, 20)
    b.kill()
    hit = [(node, h) for node, h in placed if node is b or rig.registered[h.answered_by_agent] == "fs-b"]
    _wait([h for _, h in hit], 30)
    rows = _records(rig, {h.uuid for _, h in hit})
    assert set(rows) == {h.uuid for _, h in hit}
    on_b = {h.uuid for node, h in hit if node is b}
    assert {i: (r.node, r.hangup_cause) for i, r in rows.items() if i in on_b} == \
        {i: ("fs-b", "NODE_LOST") for i in on_b}
    # a's callers bridged to b's agents: no BYE from the dead node, the media timeout ends them
    crossed = {h.uuid for node, h in hit if node is a}
    assert all(rows[i].node == "fs-a" and rows[i].outcome == "answered" for i in crossed)
    _freed(rig, hit)
    # a's callers talking to a's agents are untouched
    assert all(not h.done.ready() for _, h in set(placed) - set(hit))
    # the surviving node goes on: its callers reach the agents registered on it
    after = [rig.place_call(caller=f"+1415556{n:04d}", did=DID, node=a, patience=60) for n in range(2)]
    deadline = time.monotonic() + 30
    while not all(h.bridged_at for _, h in after) and time.monotonic() < deadline:
        gevent.sleep(0.2)
    assert all(rig.registered[h.answered_by_agent] == "fs-a" for _, h in after), [h.result for _, h in after]


def test_a_node_whose_host_is_gone_is_given_up_after_the_grace(rig):
    """No FIN comes from a host that lost power: the callers' sockets stay open and silent. Once the
    node's Event Socket has been gone for node_loss_grace_s (3 s here), each controller ends the calls of
    that node whose socket it holds (reconcile.py end_lost_nodes): records with NODE_LOST, agents freed."""
    rig.add_phones(answer_after=0.2, talk_s=60.0)
    rig.start_controllers()
    a, b = rig.nodes
    placed = [rig.place_call(caller=f"+1415555{n:04d}", did=DID, patience=60) for n in range(4)]
    _all_bridged(placed, 20)
    gone_at = time.monotonic()
    b.kill(host_gone=True)
    on_b = {h.uuid for node, h in placed if node is b}
    rows = _records(rig, on_b, wait_s=30)
    assert {i: (r.node, r.hangup_cause) for i, r in rows.items()} == {i: ("fs-b", "NODE_LOST") for i in on_b}
    assert time.monotonic() - gone_at > 3.0   # not before the grace
    _freed(rig, [(node, h) for node, h in placed if node is b or rig.registered[h.answered_by_agent] == "fs-b"])

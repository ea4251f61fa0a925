"""A private Redis (no persistence) restarts mid-run: the live state is rebuilt and no record is lost.

The controller keeps the calls whose sockets it holds: after the restart its reconciler puts
back the waiting and bridged calls and re-syncs the agents from the database (those on its
bridged calls as on-call), so waiting callers are still routed and every call gets a record.
"""
from __future__ import annotations

import pytest

from control.domain.models import AgentState
from tests.integration.faultkit import Database, RedisServer, Rig, live_state, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def rig(tmp_path):
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    db = Database()
    rig = Rig(tmp_path, redis_server.url, "hotline", db)
    rig.redis_server = redis_server
    yield rig
    rig.close()
    redis_server.stop()
    db.drop()


def test_live_state_is_rebuilt_after_a_redis_restart(rig):
    rig.db.add_agents([("alice", "1001"), ("bob", "1002")])
    rig.switch.add_phone("1001", answer_after=0.2, talk_time=3.0)
    rig.switch.add_phone("1002", answer_after=0.2, talk_time=3.0)
    store = live_state(rig.redis_url, rig.prefix)
    rig.controller()
    wait_for(lambda: all(a.state == AgentState.AVAILABLE for a in store.agents()) and len(store.agents()) == 2,
             5, what="agents available")
    calls = [rig.switch.place_call(caller=f"+1415555010{i}", did="+18005550100", patience=60) for i in range(2)]
    wait_for(lambda: all(c.result["bridged_at"] for c in calls), 5, what="two calls bridged")
    calls.append(rig.switch.place_call(caller="+14155550102", did="+18005550100", patience=60))
    wait_for(lambda: any(c.id == calls[2].uuid for c in store.waiting_calls()), 5, what="the third call queued")

    rig.redis_server.restart()
    assert store.agents() == []
    # rebuilt by the controller's reconciler: agents on the bridged calls are on-call, not offered again
    agents = wait_for(lambda: len(store.agents()) == 2 and {a.id: a for a in store.agents()}, 5,
                      what="agents re-synced into live state")
    assert {a.state for a in agents.values()} == {AgentState.ON_CALL}
    assert {a.call_id for a in agents.values()} == {calls[0].uuid, calls[1].uuid}
    assert store.get_call(calls[2].uuid) is not None

    later = rig.switch.place_call(caller="+14155550103", did="+18005550100", patience=60)
    calls.append(later)
    for handle in calls:
        assert handle.done.wait(15), rig.logs()
    assert [bool(c.result["answered_by_agent"]) for c in calls] == [True] * 4, rig.logs()
    records = wait_for(lambda: (r := rig.db.records()) and len(r) == 4 and r, 10, what="four call records")
    assert set(records) == {c.uuid for c in calls}
    assert {r.outcome for r in records.values()} == {"answered"}
    wait_for(lambda: all(a.state == AgentState.AVAILABLE for a in store.agents()), 10, what="agents free")

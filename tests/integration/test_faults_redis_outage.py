"""A private Redis (no persistence) is down for seconds while calls arrive and others talk.

Bridged calls are FreeSWITCH's: they stay up and get their records. Callers who arrive during the
outage are kept in hold music until Redis answers again, then queued and answered; a caller who
hangs up meanwhile still gets a record. No call is dropped because live state was unreachable.
"""
from __future__ import annotations

import gevent
import pytest

from tests.integration.faultkit import Database, RedisServer, Rig, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def rig(tmp_path):
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    db = Database()
    rig = Rig(tmp_path, redis_server.url, "{hotline}", db)
    rig.redis_server = redis_server
    yield rig
    rig.close()
    redis_server.stop()
    db.drop()


def test_calls_arriving_during_a_redis_outage_are_kept_and_recorded(rig):
    rig.db.add_agents([("alice", "1001"), ("bob", "1002")])
    rig.switch.add_phone("1001", answer_after=0.2, talk_time=8.0)
    rig.switch.add_phone("1002", answer_after=0.2, talk_time=1.0)
    controller = rig.controller()
    talking = rig.switch.place_call(caller="+14155550100", did="+18005550100", patience=60)
    wait_for(lambda: talking.result["bridged_at"], 10, what="the first call bridged")

    rig.redis_server.stop()
    arriving = [rig.switch.place_call(caller=f"+1415555011{i}", did="+18005550100", patience=60) for i in range(2)]
    leaving = rig.switch.place_call(caller="+14155550120", did="+18005550100", patience=2.0)
    gevent.sleep(5.0)
    assert not talking.result.get("ended_at"), "the bridged call was cut by the Redis outage"
    rig.redis_server.start()   # back, and empty

    wait_for(lambda: all(c.result["bridged_at"] for c in arriving), 30, what=f"the callers of the outage bridged\n{controller.log()}")
    records = wait_for(lambda: (lambda r: all(c.uuid in r for c in [talking, *arriving, leaving]) and r)(rig.db.records()),
                       30, what=f"every call recorded\n{controller.log()}")
    assert records[talking.uuid].outcome == "answered"
    assert all(records[c.uuid].outcome == "answered" for c in arriving)
    assert records[leaving.uuid].outcome == "abandoned"

"""PostgreSQL unreachable for a while (a TCP proxy in front of the real server, stopped and started):
calls keep being routed, their records wait in the spool, and once the database is back every
record is written exactly once."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

import gevent
import pytest

from control.domain.models import AgentState
from tests.integration.faultkit import Database, Rig, TcpProxy, drop_keys, live_state, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def rig(tmp_path, redis_url, redis_prefix):
    db = Database()
    real = urlsplit(db.url)
    proxy = TcpProxy((real.hostname, real.port or 5432))
    proxy.start()
    rig = Rig(tmp_path, redis_url, redis_prefix, db)
    rig.proxy = proxy
    netloc = real.netloc.replace(f"{real.hostname}:{real.port}", f"127.0.0.1:{proxy.port}")
    rig.proxied_url = real._replace(netloc=netloc).geturl()
    yield rig
    rig.close()
    proxy.stop()
    db.drop()
    drop_keys(redis_url, f"rq:*{redis_prefix}*")


def test_records_written_once_after_the_database_returns(rig):
    rig.db.add_agents([("alice", "1001"), ("bob", "1002")])
    rig.switch.add_phone("1001", answer_after=0.1, talk_time=0.5)
    rig.switch.add_phone("1002", answer_after=0.1, talk_time=0.5)
    store = live_state(rig.redis_url, rig.prefix)
    rig.controller(HOTLINE_DATABASE_URL=rig.proxied_url)
    wait_for(lambda: len(store.agents()) == 2 and all(a.state == AgentState.AVAILABLE for a in store.agents()),
             5, what="agents loaded through the proxy and available")

    rig.proxy.stop()
    calls = []
    for i in range(6):
        calls.append(rig.switch.place_call(caller=f"+1415555020{i}", did="+18005550100", patience=60))
        gevent.sleep(0.2)
    for handle in calls:
        assert handle.done.wait(15), rig.logs()
    assert all(c.result["answered_by_agent"] for c in calls), rig.logs()   # routed without the database
    assert rig.db.records() == {}
    spool = rig.tmp / "spool.jsonl"
    wait_for(lambda: spool.exists() and len(spool.read_text().splitlines()) >= len(calls), 5,
             what="records in the spool")
    assert {json.loads(line)["call_id"] for line in spool.read_text().splitlines()} == {c.uuid for c in calls}

    rig.proxy.start()
    records = wait_for(lambda: len(r := rig.db.records()) >= len(calls) and r, 15, what="records flushed")
    assert sorted(records) == sorted(c.uuid for c in calls)
    assert {r.outcome for r in records.values()} == {"answered"}
    wait_for(lambda: spool.read_text() == "", 5, what="the spool emptied")
    # a later call goes straight to the database
    late = rig.switch.place_call(caller="+14155550299", did="+18005550100", patience=60)
    assert late.done.wait(10)
    wait_for(lambda: late.uuid in rig.db.records(), 5, what="the later record")
    assert len(rig.db.records()) == len(calls) + 1

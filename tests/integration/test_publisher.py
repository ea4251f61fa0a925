"""RedisPublisher -> Redis stream + pub/sub -> the console's SSE endpoint (real Redis, live server)."""
from __future__ import annotations

import json
import time

import pytest
import requests

from control.store.publisher import RedisPublisher
from tests.web_fixtures import live_server, redis_web_app, sqlite_url  # noqa: F401

pytestmark = pytest.mark.integration


def logged_in_session(base_url: str, username: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{base_url}/login", data={"username": username, "password": username},
                             allow_redirects=False, timeout=5)
    assert response.status_code == 302
    return session


def read_events(response, count: int, timeout: float = 5.0) -> list[dict]:
    """Parse SSE frames from a streaming response until ``count`` data events arrived."""
    events, current, deadline = [], {}, time.monotonic() + timeout
    for line in response.iter_lines(decode_unicode=True):
        if time.monotonic() > deadline:
            break
        if line == "":
            if "data" in current:
                events.append(current)
                if len(events) >= count:
                    break
            current = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            current[key] = value
    return events


def test_publish_writes_stream_and_pubsub(redis_client, redis_prefix):
    pub = RedisPublisher(redis_client, redis_prefix, maxlen=10)
    ps = redis_client.pubsub()
    ps.subscribe(f"{redis_prefix}:events:agent:alice")
    ps.get_message(timeout=1)   # the subscribe confirmation
    sid = pub.publish("agent:alice", {"type": "offer", "call_id": "c1"})
    entries = redis_client.xrange(f"{redis_prefix}:stream:agent:alice")
    assert [e[0].decode() for e in entries] == [sid]
    assert json.loads(entries[0][1][b"data"]) == {"type": "offer", "call_id": "c1"}
    message = ps.get_message(timeout=2)
    assert json.loads(message["data"]) == {"type": "offer", "call_id": "c1", "stream_id": sid}
    ps.close()
    for i in range(300):
        pub.publish("agent:alice", {"type": "state", "n": i})
    assert redis_client.xlen(f"{redis_prefix}:stream:agent:alice") < 300   # capped (approximately)


def test_sse_receives_a_published_pop(live_server, redis_client, redis_prefix):
    session = logged_in_session(live_server.url, "alice")
    pub = RedisPublisher(redis_client, redis_prefix)
    with session.get(f"{live_server.url}/agent/events", stream=True, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        lines = response.iter_lines(decode_unicode=True)
        ready = {}
        for line in lines:                 # wait for "ready": the stream position is fixed from now on
            if line.startswith("event: "):
                ready["event"] = line[7:]
            if line == "" and ready.get("event") == "ready":
                break
        pub.publish("agent:bob", {"type": "offer", "call_id": "not-for-alice"})
        sid = pub.publish("agent:alice", {"type": "offer", "call_id": "c-1",
                                          "customer": {"name": "Ann", "fields": {"card_number": "4111111111111111"}}})
        event = read_events(response, 1)[0]
    assert event["id"] == sid
    data = json.loads(event["data"])
    assert data["call_id"] == "c-1"
    assert data["customer"]["fields"]["card_number"].endswith("1111")
    assert data["customer"]["fields"]["card_number"] != "4111111111111111"   # masked for an agent


def test_last_event_id_replays_missed_pops(live_server, redis_client, redis_prefix):
    session = logged_in_session(live_server.url, "alice")
    pub = RedisPublisher(redis_client, redis_prefix)
    first = pub.publish("agent:alice", {"type": "offer", "call_id": "seen"})
    pub.publish("agent:alice", {"type": "offer", "call_id": "missed-1"})
    pub.publish("agent:alice", {"type": "answered", "call_id": "missed-1"})
    with session.get(f"{live_server.url}/agent/events", headers={"Last-Event-ID": first},
                     stream=True, timeout=10) as response:
        events = [e for e in read_events(response, 3) if e.get("event") != "ready"]
    assert [(json.loads(e["data"])["type"], json.loads(e["data"])["call_id"]) for e in events] == \
        [("offer", "missed-1"), ("answered", "missed-1")]


def test_heartbeat_and_other_requests_are_not_blocked(live_server):
    session = logged_in_session(live_server.url, "alice")
    with session.get(f"{live_server.url}/agent/events", stream=True, timeout=10) as response:
        raw = response.raw
        got = b""
        deadline = time.monotonic() + 5
        while b": heartbeat" not in got and time.monotonic() < deadline:
            got += raw.read(1)
        assert b": heartbeat" in got            # SSE_HEARTBEAT_S is 1 in tests
        # while the stream is open, the same user can still use the console
        assert session.get(f"{live_server.url}/api/customers/+14155550100", timeout=5).status_code == 200


def test_sse_needs_login(live_server):
    response = requests.get(f"{live_server.url}/agent/events", allow_redirects=False, timeout=5)
    assert response.status_code == 302

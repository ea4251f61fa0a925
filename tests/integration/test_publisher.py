"""RedisPublisher -> Redis stream + pub/sub -> the console's SSE endpoint (real Redis, live server)."""
from __future__ import annotations

import json
import logging
import time

import gevent
import gevent.event
import pytest
import redis
import requests

from control.store.publisher import QueuedPublisher, RedisPublisher
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.conftest import free_port
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


class CountingPublisher(RedisPublisher):
    """Records each batch's size; ``sent`` is set once ``expect`` messages went out."""

    def __init__(self, *args, expect: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches: list[int] = []
        self.attempts, self.attempted = 0, gevent.event.Event()
        self.expect, self.sent = expect, gevent.event.Event()

    def publish_many(self, items):
        self.attempts += 1
        self.attempted.set()
        super().publish_many(items)
        self.batches.append(len(items))
        if sum(self.batches) >= self.expect:
            self.sent.set()


def stream(redis_client, prefix: str, channel: str) -> list[dict]:
    return [json.loads(f[b"data"]) for _, f in redis_client.xrange(f"{prefix}:stream:{channel}")]


def test_queued_publish_returns_at_once_and_the_writer_sends_in_order(redis_client, redis_prefix):
    inner = CountingPublisher(redis_client, redis_prefix, expect=30)
    pub = QueuedPublisher(inner, max_batch=7)
    ps = redis_client.pubsub()
    ps.psubscribe(f"{redis_prefix}:events:*")
    ps.get_message(timeout=1)   # the subscribe confirmation
    for n in range(30):
        pub.publish("agent:alice" if n % 3 else "wallboard", {"type": "state", "n": n})
    assert pub.backlog() == 30 and inner.attempts == 0                    # queued, nothing sent yet
    assert inner.sent.wait(5)                                             # the writer, with no flush
    assert inner.batches == [7, 7, 7, 7, 2]                               # a pipeline per batch
    assert [m["n"] for m in stream(redis_client, redis_prefix, "agent:alice")] == \
        [n for n in range(30) if n % 3]
    assert [m["n"] for m in stream(redis_client, redis_prefix, "wallboard")] == list(range(0, 30, 3))
    live = [json.loads(ps.get_message(timeout=2)["data"])["n"] for _ in range(30)]
    ps.close()
    assert live == list(range(30))   # pub/sub in publish order across channels and batches


def test_flush_sends_what_is_queued_before_returning(redis_client, redis_prefix):
    inner = CountingPublisher(redis_client, redis_prefix)
    pub = QueuedPublisher(inner)
    pub.publish("agent:alice", {"type": "offer", "call_id": "c1"})
    pub.publish("wallboard", {"type": "offer", "call_id": "c1", "agent_id": "alice"})
    pub.flush()
    assert inner.batches == [2]
    assert stream(redis_client, redis_prefix, "agent:alice") == [{"type": "offer", "call_id": "c1"}]
    assert stream(redis_client, redis_prefix, "wallboard") == \
        [{"type": "offer", "call_id": "c1", "agent_id": "alice"}]
    assert pub.backlog() == 0
    pub.flush()   # nothing queued: no round trip
    assert inner.batches == [2]


def test_messages_from_many_greenlets_arrive_once_each_in_each_ones_order(redis_client, redis_prefix):
    inner = CountingPublisher(redis_client, redis_prefix, expect=10000)
    pub = QueuedPublisher(inner)

    def caller(g: int) -> None:
        for i in range(100):
            pub.publish(f"agent:a{g % 10}", {"type": "state", "g": g, "i": i})
            if i % 10 == 0:
                gevent.sleep(0)   # let the others and the writer run, as a call's I/O would

    gevent.joinall([gevent.spawn(caller, g) for g in range(100)], raise_error=True)
    assert inner.sent.wait(10)
    assert len(inner.batches) < 100   # batched, not one round trip a message
    got = [(m["g"], m["i"]) for a in range(10) for m in stream(redis_client, redis_prefix, f"agent:a{a}")]
    assert sorted(got) == [(g, i) for g in range(100) for i in range(100)]   # each once, none lost
    for g in range(100):
        assert [i for gg, i in got if gg == g] == list(range(100))


def dead_redis() -> redis.Redis:
    """A client of a port nothing listens on, failing at once (no retries)."""
    return redis.Redis(port=free_port(), socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))


def test_a_redis_error_is_logged_once_and_later_messages_still_go_out(redis_client, redis_prefix, caplog):
    inner = CountingPublisher(redis_client, redis_prefix, expect=1)
    pub = QueuedPublisher(inner)
    inner.r = dead_redis()
    with caplog.at_level(logging.WARNING, logger="control.store.publisher"):
        pub.publish("agent:alice", {"type": "offer", "call_id": "lost"})
        pub.flush()                                # tries, fails, does not raise
        assert inner.attempts == 1 and pub.backlog() == 0
        pub.publish("agent:alice", {"type": "offer", "call_id": "kept"})
        pub.flush()                                # Redis is failing: left to the writer, no wait
        assert inner.attempts == 1 and pub.backlog() == 1
        inner.r = redis_client                     # Redis is back
        assert inner.sent.wait(5)                  # the writer sent what was left
        pub.publish("agent:alice", {"type": "offer", "call_id": "after"})
        pub.flush()                                # synchronous again
    assert [m["call_id"] for m in stream(redis_client, redis_prefix, "agent:alice")] == ["kept", "after"]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and not any(r.exc_info for r in warnings)   # the outage, then the recovery
    assert "1 dropped on errors" in warnings[1].getMessage()


def test_the_writer_survives_a_redis_error(redis_client, redis_prefix):
    inner = CountingPublisher(redis_client, redis_prefix, expect=1)
    pub = QueuedPublisher(inner)
    inner.r = dead_redis()
    pub.publish("agent:alice", {"type": "offer", "call_id": "lost"})
    assert inner.attempted.wait(5)
    writer = pub._writer
    inner.r = redis_client
    pub.publish("agent:alice", {"type": "offer", "call_id": "after"})
    assert inner.sent.wait(5)
    assert pub._writer is writer and inner.attempts == 2   # the same greenlet, one try each
    assert [m["call_id"] for m in stream(redis_client, redis_prefix, "agent:alice")] == ["after"]


def test_a_full_queue_drops_the_oldest(redis_client, redis_prefix, caplog):
    pub = QueuedPublisher(RedisPublisher(redis_client, redis_prefix), max_queued=5)
    with caplog.at_level(logging.WARNING, logger="control.store.publisher"):
        for n in range(8):   # no yield: the writer cannot run in between
            pub.publish("wallboard", {"type": "state", "n": n})
        assert pub.backlog() == 5
        pub.flush()
    assert [m["n"] for m in stream(redis_client, redis_prefix, "wallboard")] == [3, 4, 5, 6, 7]
    assert len([r for r in caplog.records if "dropping the oldest" in r.getMessage()]) == 1


def test_a_lost_script_is_loaded_again(redis_client, redis_prefix):
    inner = RedisPublisher(redis_client, redis_prefix)
    inner._publish.sha = "0" * 40   # as after a Redis restart: the server does not know the script
    pub = QueuedPublisher(inner)
    pub.publish("agent:alice", {"type": "offer", "call_id": "c1"})
    pub.publish("agent:alice", {"type": "offer", "call_id": "c2"})
    pub.flush()
    assert [m["call_id"] for m in stream(redis_client, redis_prefix, "agent:alice")] == ["c1", "c2"]


def test_close_sends_what_is_queued_and_ends_the_writer(redis_client, redis_prefix):
    pub = QueuedPublisher(RedisPublisher(redis_client, redis_prefix))
    pub.publish("wallboard", {"type": "state", "n": 1})
    writer = pub._writer
    pub.close()
    assert writer.dead
    assert stream(redis_client, redis_prefix, "wallboard") == [{"type": "state", "n": 1}]


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

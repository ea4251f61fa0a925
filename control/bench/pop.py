"""Screen-pop benchmark: offer published -> event in the browser's SSE stream, over loopback, and
whether the card beat the ring.

The console runs in a subprocess (gevent WSGIServer on 127.0.0.1, ephemeral port, a temporary
SQLite database with N seeded agent users). N logged-in sessions each hold one SSE stream
(a greenlet with a raw socket), offers are published through RedisPublisher with a
timestamp, and each stream notes when the offer reaches it and acknowledges it
(POST /api/agent/pop-ack), as the console's JavaScript does once the card is drawn. The bench
plays the ringing controller's part exactly as offers.start_ring does it (RedisConsoles: expect,
publish, wait for the acknowledgement on the control channel at most --budget-ms): the card was
first when the acknowledgement came within the budget.

    hotline bench pop [--consoles 500] [--pops 2000] [--rate 500] [--budget-ms 250] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
PASSWORD = "bench-pop"


def pct(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


# -- the console, in its own process -------------------------------------------------------
def serve(db_url: str, redis_url: str, prefix: str) -> int:
    from gevent import monkey

    monkey.patch_all()
    from gevent.pywsgi import WSGIServer

    from control.config import load_config
    from web import create_app

    import redis

    # Each open stream holds one Redis connection in XREAD BLOCK; redis-py's default pool stops at 100.
    client = redis.Redis.from_url(redis_url, max_connections=20000, health_check_interval=30,
                                  socket_connect_timeout=3)
    app = create_app(load_config(env={}), database_url=db_url, redis_url=redis_url, redis_prefix=prefix,
                     secret_key=uuid.uuid4().hex, SSE_HEARTBEAT_S=30, REDIS_CLIENT=client)
    server = WSGIServer(("127.0.0.1", 0), app, log=None, spawn=10000)
    server.start()
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()
    return 0


def seed(db_url: str, consoles: int) -> None:
    from werkzeug.security import generate_password_hash

    import records.card_models  # noqa: F401 - every table
    import records.wrapup_models  # noqa: F401
    from records.db import make_engine, session_factory
    from records.models import Agent, Base, User

    engine = make_engine(db_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    # One cheap hash for all: the bench measures pops, not password hashing.
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with session_factory(db_url)() as session:
        for i in range(consoles):
            session.add(Agent(id=f"a{i}", name=f"Agent {i}", extension=str(20000 + i), sip_password="x", queues=[]))
        session.flush()
        session.add_all(User(username=f"a{i}", role="agent", agent_id=f"a{i}", password_hash=hashed)
                        for i in range(consoles))
        session.commit()


# -- the browsers ----------------------------------------------------------------------------------
def csrf_token(html: str) -> str:
    found = CSRF.search(html)
    if found is None:
        raise RuntimeError("the console page carries no CSRF token (<meta name=\"csrf-token\">)")
    return found.group(1)


def login(base: str, username: str) -> tuple[str, str]:
    """(cookie header, CSRF token of the session) of a console signed in as ``username``."""
    import requests

    with requests.Session() as http:
        page = http.get(f"{base}/login", timeout=30)
        token = csrf_token(page.text)
        reply = http.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                          allow_redirects=False, timeout=30)
        if reply.status_code != 302:
            raise RuntimeError(f"login of {username} failed: HTTP {reply.status_code}")
        console = http.get(f"{base}/agent/", timeout=30)
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items()), csrf_token(console.text)


class Stream:
    """One console's SSE stream over a raw socket (HTTP/1.0: no chunked framing to undo)."""

    def __init__(self, port: int, cookie: str, csrf: str):
        self.port, self.cookie, self.csrf = port, cookie, csrf
        self.ready = False
        self.received: dict[str, float] = {}     # call id -> latency in seconds
        self.acks: list = []                     # greenlets sending acknowledgements
        self.sock: socket.socket | None = None

    def run(self) -> None:
        import gevent

        self.sock = sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall((f"GET /agent/events HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                           f"Cookie: {self.cookie}\r\n\r\n").encode())
        buffer = b""
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            now = time.time()
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.startswith(b"event: ready"):
                    self.ready = True
                elif line.startswith(b"data: "):
                    try:
                        message = json.loads(line[6:])
                    except ValueError:
                        continue
                    if message.get("type") == "offer":
                        self.received[message["call_id"]] = now - float(message["ts"])
                        self.acks.append(gevent.spawn(self.ack, message["call_id"]))

    def ack(self, call_id: str) -> None:
        """What console.js sends once the card is drawn (a connection of its own, as a browser's fetch
        beside the open stream)."""
        import requests

        requests.post(f"http://127.0.0.1:{self.port}/api/agent/pop-ack", json={"call_id": call_id}, timeout=30,
                      headers={"Cookie": self.cookie, "X-CSRFToken": self.csrf, "Connection": "close"})

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


class Ringer:
    """The controller's side of every offer: RedisConsoles fed by the control channel, as the
    controller's listener feeds it; ``offer`` waits like offers.card_before_ring."""

    def __init__(self, client, prefix: str, budget_s: float):
        import gevent

        from control.store.consoles import RedisConsoles
        from control.store.keys import Keys

        self.consoles, self.budget_s = RedisConsoles(client, prefix), budget_s
        self.results: list[tuple[bool, float]] = []   # (card first, ms the ring waited)
        self.pubsub = client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.subscribe(Keys(prefix).events("control"))
        self.listener = gevent.spawn(self._listen)

    def _listen(self) -> None:
        for message in self.pubsub.listen():
            data = json.loads(message["data"])
            if data.get("type") == "pop_ack":
                self.consoles.acked(data["call_id"], data["agent_id"])

    def offer(self, publisher, agent_id: str, message: dict) -> None:
        waiter = self.consoles.expect(message["call_id"], agent_id) if self.consoles.is_open(agent_id) else None
        published = time.time()
        publisher.publish(f"agent:{agent_id}", {**message, "ts": published})
        acked = waiter is not None and waiter.wait(self.budget_s)
        self.results.append((acked, (time.time() - published) * 1000))

    def close(self) -> None:
        self.listener.kill(block=False)
        self.pubsub.close()


def run(args) -> dict:
    import gevent
    import redis
    from gevent.pool import Pool

    from control.store.publisher import RedisPublisher

    workdir = tempfile.mkdtemp(prefix="hotline-bench-pop-")
    db_url = f"sqlite:///{os.path.join(workdir, 'bench.db')}"
    prefix = f"bench-pop-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(args.redis_url)
    client.ping()
    seed(db_url, args.consoles)
    server = subprocess.Popen([sys.executable, "-m", "control.bench.pop", "--serve", db_url, "--redis-url",
                               args.redis_url, "--prefix", prefix], stdout=subprocess.PIPE, text=True)
    streams: list[Stream] = []
    try:
        line = server.stdout.readline() if server.stdout is not None else ""
        if not line.startswith("PORT "):
            raise RuntimeError("the console did not start")
        port = int(line.split()[1])
        base = f"http://127.0.0.1:{port}"
        sessions = Pool(50).map(lambda i: login(base, f"a{i}"), range(args.consoles))
        streams = [Stream(port, cookie, csrf) for cookie, csrf in sessions]
        readers = [gevent.spawn(s.run) for s in streams]
        deadline = time.time() + 60
        while not all(s.ready for s in streams) and time.time() < deadline:
            gevent.sleep(0.05)
        if not all(s.ready for s in streams):
            raise RuntimeError(f"only {sum(s.ready for s in streams)} of {args.consoles} streams opened")
        publisher = RedisPublisher(client, prefix)
        ringer = Ringer(client, prefix, args.budget_ms / 1000.0)
        offers = []
        started = time.time()
        for i in range(args.pops):
            due = started + i / args.rate
            if due > time.time():
                gevent.sleep(due - time.time())
            agent = f"a{i % args.consoles}"
            offers.append(gevent.spawn(ringer.offer, publisher, agent, {
                "type": "offer", "call_id": f"bench-{i}", "caller": "+14155550100", "did": "+18005550100",
                "queue": "support", "wait_s": 0, "language": "en", "ivr_path": [], "customer": None,
                "partial": False, "agent_id": agent}))
        gevent.joinall(offers)
        wait_until = time.time() + args.timeout
        while sum(len(s.received) for s in streams) < args.pops and time.time() < wait_until:
            gevent.sleep(0.05)
        latencies = [v * 1000 for s in streams for v in s.received.values()]
        first = [waited for acked, waited in ringer.results if acked]
        ringer.close()
        for reader in readers:
            reader.kill(block=False)
        gevent.joinall([ack for s in streams for ack in s.acks], timeout=args.timeout)
    finally:
        for s in streams:
            s.close()
        server.terminate()
        server.wait(10)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"consoles": args.consoles, "pops": args.pops, "p50_ms": round(pct(latencies, 0.50), 2),
            "p95_ms": round(pct(latencies, 0.95), 2), "p99_ms": round(pct(latencies, 0.99), 2),
            "lost": args.pops - len(latencies), "budget_ms": args.budget_ms,
            "card_first_pct": round(100.0 * len(first) / args.pops, 2),
            "ring_held_p50_ms": round(pct(first, 0.50), 2), "ring_held_p99_ms": round(pct(first, 0.99), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hotline bench pop", description=__doc__.split("\n")[0])
    parser.add_argument("--consoles", type=int, default=500)
    parser.add_argument("--pops", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=500.0, help="offers published per second")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the last pops")
    parser.add_argument("--budget-ms", type=float, default=250.0,
                        help="how long a ring waits for the console's acknowledgement (pop_ack_budget_ms)")
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve", metavar="DB_URL", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.redis_url is None:
        from control.config import load_config

        args.redis_url = load_config().redis_url
    if args.serve:
        return serve(args.serve, args.redis_url, args.prefix)
    from gevent import monkey

    monkey.patch_all()   # no-op under `hotline`, which patches first
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"screen pop: offer published -> SSE event received, {result['consoles']} consoles, loopback")
        for key in ("pops", "p50_ms", "p95_ms", "p99_ms", "lost"):
            print(f"  {key:<8} {result[key]:>10}")
        print(f"card before the ring (acknowledged within {result['budget_ms']:.0f} ms; the ring waited that long):")
        for key in ("card_first_pct", "ring_held_p50_ms", "ring_held_p99_ms"):
            print(f"  {key:<17} {result[key]:>10}")
    return 0 if result["lost"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

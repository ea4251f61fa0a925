"""The rig of the fault tests: a private database, queue and flow files, the switch simulator in
this process (gevent) and `hotline controller` as a real subprocess that a test can SIGKILL.

Waits poll with gevent.sleep so the simulator keeps running while a test waits.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import gevent
import pytest

from tests.conftest import PG_SERVER_URL, free_port

QUEUES_YAML = """queues:
  support:
    strategy: longest-idle-agent
    ring_timeout_s: 5
    wrap_up_s: 1
    announce_every_s: 0
    record: false
"""
# Straight to the queue: no prompts, no menu.
FLOW_YAML = """name: front
languages: [en]
nodes:
  q: {type: queue, queue: support}
"""
ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout: float, step: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        gevent.sleep(step)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Database:
    """A throw-away PostgreSQL database with the schema, for one test."""

    def __init__(self, server_url: str = PG_SERVER_URL):
        import psycopg2

        self.server_url, self.name = server_url, f"hotline_fault_{uuid.uuid4().hex[:8]}"
        self._admin = psycopg2.connect(server_url)
        self._admin.autocommit = True
        with self._admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{self.name}"')
        self.url = f"{server_url.rsplit('/', 1)[0]}/{self.name}"
        from records.db import session_factory
        from records.migrate import ensure_schema

        ensure_schema(self.url)
        self.sessions = session_factory(self.url)

    def add_agents(self, agents: list[tuple[str, str]]) -> None:
        from records.models import Agent

        with self.sessions() as session:
            for position, (agent_id, extension) in enumerate(agents):
                session.add(Agent(id=agent_id, name=agent_id, extension=extension, sip_password="x",
                                  wrap_up_s=1, queues=["support"], position=position))
            session.commit()

    def records(self) -> dict[str, object]:
        from sqlalchemy import select

        from records.models import Call

        with self.sessions() as session:
            return {row.call_id: row for row in session.scalars(select(Call))}

    def drop(self) -> None:
        self.sessions.kw["bind"].dispose()
        with self._admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin.close()


class ControllerProcess:
    """`hotline controller --login-all` configured through HOTLINE_* variables."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env, self.log_path = env, log_path
        self.proc: subprocess.Popen | None = None

    def start(self, switch, timeout: float = 15.0) -> None:
        """Start, and return once its inbound Event Socket has subscribed to the simulator."""
        before = set(switch.inbound_sessions)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "control.cli", "controller", "--login-all",
                                          "--log-level", "INFO"],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        wait_for(lambda: any(s.conn.event_format for s in switch.inbound_sessions - before) or self._died(),
                 timeout, what="the controller's Event Socket subscription")
        assert self.proc.poll() is None, f"controller exited:\n{self.log()}"

    def _died(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            wait_for(lambda: self.proc.poll() is not None, 10, what="the controller to exit")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            wait_for(lambda: self.proc.poll() is not None, 5, what="the controller to stop")
        except AssertionError:
            self.proc.kill()
            self.proc.wait(5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


class Rig:
    """Simulator + config + database for one test; ``controller()`` makes controller processes."""

    def __init__(self, tmp_path: Path, redis_url: str, prefix: str, db: Database, **sim):
        from simulator.switch import Switch

        self.tmp, self.redis_url, self.prefix, self.db = tmp_path, redis_url, prefix, db
        (tmp_path / "queues").mkdir()
        (tmp_path / "flows").mkdir()
        (tmp_path / "queues" / "support.yaml").write_text(QUEUES_YAML)
        (tmp_path / "flows" / "front.yaml").write_text(FLOW_YAML)
        (tmp_path / "flows" / "dids.yaml").write_text("default: front\n")
        self.outbound_port = free_port()
        self.switch = Switch(controller=("127.0.0.1", self.outbound_port), esl_listen=("127.0.0.1", 0),
                             media_s=0.05, **sim)
        self.switch.start()
        self.procs: list[ControllerProcess] = []

    def env(self, **overrides: str) -> dict[str, str]:
        env = {**os.environ,
               "HOTLINE_DATABASE_URL": self.db.url, "HOTLINE_REDIS_URL": self.redis_url,
               "HOTLINE_REDIS_PREFIX": self.prefix, "HOTLINE_OUTBOUND_PORT": str(self.outbound_port),
               "HOTLINE_ESL_PORT": str(self.switch.esl_port), "HOTLINE_ESL_RECONNECT_S": "0.2",
               "HOTLINE_QUEUES_DIR": str(self.tmp / "queues"), "HOTLINE_FLOWS_DIR": str(self.tmp / "flows"),
               "HOTLINE_RECONCILE_INTERVAL_S": "1", "HOTLINE_WRAP_UP_S": "1",
               "HOTLINE_RQ_QUEUE": f"{self.prefix}-wrapup",
               "HOTLINE_RECORDS_SPOOL": str(self.tmp / "spool.jsonl"), "HOTLINE_CRM_TIMEOUT_MS": "300",
               "HOTLINE_METRICS_PORT": "0", "HOTLINE_DEMO_MODE": "1"}   # test secrets and seeded users (control/production.py)
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        env.update(overrides)
        return env

    def controller(self, **env_overrides: str) -> ControllerProcess:
        proc = ControllerProcess(self.env(**env_overrides), self.tmp / f"controller-{len(self.procs)}.log")
        self.procs.append(proc)
        proc.start(self.switch)
        return proc

    def logs(self) -> str:
        return "\n".join(p.log() for p in self.procs)

    def close(self) -> None:
        for proc in self.procs:
            proc.kill()
        self.switch.stop()


def live_state(redis_url: str, prefix: str):
    import redis

    from control.store.redis_state import RedisState

    return RedisState(redis.Redis.from_url(redis_url), prefix)


def drop_keys(redis_url: str, *patterns: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for pattern in patterns:
        keys = list(client.scan_iter(match=pattern, count=1000))
        if keys:
            client.delete(*keys)
    client.close()


class RedisServer:
    """A private redis-server without persistence: restarting it loses every key."""

    def __init__(self, tmp_path: Path):
        self.port, self.dir = free_port(), tmp_path
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_for(up, 10, what="redis-server to answer")
        client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            wait_for(lambda: self.proc.poll() is not None, 5, what="redis-server to exit")

    def restart(self) -> None:
        self.stop()
        self.start()


class TcpProxy:
    """127.0.0.1:<port> -> target, that a test stops (refusing and cutting every connection) and
    starts again on the same port: a database outage without touching the shared server."""

    def __init__(self, target: tuple[str, int]):
        self.target, self.port = target, free_port()
        self.server = None
        self._socks: set = set()

    def start(self) -> None:
        from gevent.server import StreamServer

        self.server = StreamServer(("127.0.0.1", self.port), self._handle)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for sock in list(self._socks):
            try:
                sock.close()
            except OSError:
                pass
        self._socks.clear()

    def _handle(self, client, _address) -> None:
        from gevent import socket

        try:
            upstream = socket.create_connection(self.target, timeout=3)
        except OSError:
            client.close()
            return
        self._socks |= {client, upstream}
        pump = gevent.spawn(self._pump, upstream, client)
        self._pump(client, upstream)
        pump.join()
        self._socks -= {client, upstream}

    @staticmethod
    def _pump(src, dst) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.close()
                except OSError:
                    pass


@pytest.fixture
def rig(tmp_path, redis_url, redis_prefix):
    """The usual rig: the suite's Redis under a test prefix, a throw-away PostgreSQL database."""
    db = Database()
    rig = Rig(tmp_path, redis_url, redis_prefix, db)
    yield rig
    rig.close()
    db.drop()
    drop_keys(redis_url, f"rq:*{redis_prefix}*")

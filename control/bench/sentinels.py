"""A Redis primary, a replica and three sentinels on loopback ports of their own, from Debian's
``redis-server`` and ``redis-sentinel`` packages: for ``hotline bench failover`` and
tests/integration/test_redis_sentinel.py. Data in a temporary folder; nothing persisted."""
from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable

import redis

SERVICE = "hotline"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> bool:
    return shutil.which("redis-server") is not None and shutil.which("redis-sentinel") is not None


def wait(what: str, check: Callable[[], Any], timeout: float = 20.0, every: float = 0.1) -> Any:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (redis.RedisError, OSError) as exc:
            last = exc
        time.sleep(every)
    raise RuntimeError(f"timed out waiting for {what} ({last!r})")


class Sentinels:
    def __init__(self, service: str = SERVICE, down_after_ms: int = 1000, tmp: Path | None = None):
        self.service, self.down_after_ms = service, down_after_ms
        self.tmp = tmp or Path(tempfile.mkdtemp(prefix="hotline-sentinel-"))
        self._own_tmp = tmp is None
        self.primary, self.replica = free_port(), free_port()
        self.sentinels = [free_port() for _ in range(3)]
        self.servers: dict[int, subprocess.Popen] = {}
        self.procs: list[subprocess.Popen] = []

    def start(self) -> "Sentinels":
        for port, extra in ((self.primary, []), (self.replica, ["--replicaof", "127.0.0.1", str(self.primary)])):
            data = self.tmp / f"redis-{port}"
            data.mkdir()
            self.servers[port] = self._spawn(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                              "--appendonly", "no", "--dir", str(data), *extra])
        for port in (self.primary, self.replica):
            wait(f"redis-server on {port}", partial(self._answers, port))
        wait("the replica in sync", self._replica_in_sync)
        for port in self.sentinels:
            conf = self.tmp / f"sentinel-{port}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {self.tmp}\n"
                            f"sentinel monitor {self.service} 127.0.0.1 {self.primary} 2\n"
                            f"sentinel down-after-milliseconds {self.service} {self.down_after_ms}\n"
                            f"sentinel failover-timeout {self.service} 5000\n"
                            f"sentinel parallel-syncs {self.service} 1\n")
            self._spawn(["redis-sentinel", str(conf)])
        for port in self.sentinels:
            wait(f"sentinel {port} ready", partial(self._sentinel_ready, port))
        return self

    def _answers(self, port: int) -> bool:
        return bool(self.direct(port).ping())

    def _replica_in_sync(self) -> bool:
        info: dict = self.direct(self.replica).info("replication")   # type: ignore[assignment]
        return info.get("master_link_status") == "up"

    def _sentinel_ready(self, port: int) -> bool:
        """It knows the replica and the two other sentinels."""
        client = self.direct(port)
        return len(client.sentinel_slaves(self.service)) == 1 and len(client.sentinel_sentinels(self.service)) == 2

    def _spawn(self, args: list[str]) -> subprocess.Popen:
        """Each process logs to <tmp>/<program>-<n>.log (a sentinel's TILT or failover steps are there)."""
        with open(self.tmp / f"{Path(args[0]).name}-{len(self.procs)}.log", "wb") as log:
            proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    @staticmethod
    def direct(port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=2, socket_connect_timeout=2)

    def sentinel_list(self) -> str:
        return ",".join(f"127.0.0.1:{p}" for p in self.sentinels)

    def primary_port(self) -> int:
        return int(self.direct(self.sentinels[0]).sentinel_get_master_addr_by_name(self.service)[1])

    def kill_primary(self) -> int:
        """SIGKILL the current primary (as a crashed host); returns its port."""
        port = self.primary_port()
        self.servers[port].send_signal(signal.SIGKILL)
        self.servers[port].wait(5)
        return port

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self._own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

"""Every Redis client (controller, console, login limits, RQ worker) works with a password, an ACL
user and TLS, each given in the URL alone: real redis-servers on free 127.0.0.1 ports."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port
from tests.web_fixtures import build_app, sqlite_url  # noqa: F401

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PASSWORD, ACL_USER, ACL_PASSWORD = "server-password-1", "hotline", "acl-password-2"


def _start(args: list[str], port: int, tmp: Path, ping_url: str, **ssl) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp), "--requirepass", PASSWORD,
                             "--user", ACL_USER, "on", f">{ACL_PASSWORD}", "~*", "&*", "+@all", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(ping_url, socket_connect_timeout=1).ping()
            return proc
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"redis-server on {port} did not start")
            time.sleep(0.1)


@pytest.fixture(scope="module")
def acl_redis(tmp_path_factory):
    port = free_port()
    url = f"redis://{ACL_USER}:{ACL_PASSWORD}@127.0.0.1:{port}/0"
    proc = _start(["--port", str(port)], port, tmp_path_factory.mktemp("redis-acl"), url)
    yield port
    proc.terminate()
    proc.wait(5)


def _certificates(tmp: Path) -> Path:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=hotline-test-ca",
            "-keyout", str(tmp / "ca.key"), "-out", str(tmp / "ca.pem"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", str(tmp / "server.key"), "-out", str(tmp / "server.csr"))
    (tmp / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", str(tmp / "server.csr"), "-CA", str(tmp / "ca.pem"), "-CAkey", str(tmp / "ca.key"),
            "-CAcreateserial", "-days", "2", "-extfile", str(tmp / "san.ext"), "-out", str(tmp / "server.pem"))
    return tmp / "ca.pem"


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("redis-tls")
    ca = _certificates(tmp)
    port = free_port()
    url = f"rediss://{ACL_USER}:{ACL_PASSWORD}@127.0.0.1:{port}/0?ssl_ca_certs={ca}"
    proc = _start(["--port", "0", "--tls-port", str(port), "--tls-cert-file", str(tmp / "server.pem"),
                   "--tls-key-file", str(tmp / "server.key"), "--tls-ca-cert-file", str(ca),
                   "--tls-auth-clients", "no"], port, tmp, url)
    yield url
    proc.terminate()
    proc.wait(5)


def _urls(acl_redis: int) -> dict[str, str]:
    return {"password": f"redis://:{PASSWORD}@127.0.0.1:{acl_redis}/0",
            "acl user": f"redis://{ACL_USER}:{ACL_PASSWORD}@127.0.0.1:{acl_redis}/0"}


def test_without_credentials_the_server_refuses(acl_redis):
    with pytest.raises(redis.AuthenticationError):
        redis.Redis.from_url(f"redis://127.0.0.1:{acl_redis}/0").ping()


def _controller_and_console_and_rq(url: str, sqlite_url: str) -> None:
    from control.store.jobs import RQJobs
    from control.store.redis_clients import controller_client
    from control.store.redis_state import RedisState
    from web.live import redis_client

    controller = controller_client(url, 10)
    RedisState(controller, "authtest").get_agent("nobody")
    assert controller.ping()

    app = build_app(sqlite_url, redis_url=url, redis_prefix="authtest")
    with app.app_context():
        assert redis_client().ping()
    client = app.test_client()
    codes = [client.post("/login", data={"username": "admin", "password": "nope"}).status_code for _ in range(6)]
    assert codes[-1] == 429
    assert list(controller.scan_iter(match="authtest:login-limits*"))   # counted in this Redis

    jobs = RQJobs(controller, "authtest-wrapup")
    jobs.enqueue("worker.wrapup.finalize_call", "no-such-call", job_id="authtest-job")
    assert jobs.queue.fetch_job("authtest-job") is not None
    controller.flushdb()


@pytest.mark.parametrize("kind", ["password", "acl user"])
def test_controller_console_login_limits_and_rq_with_credentials(acl_redis, sqlite_url, kind):
    _controller_and_console_and_rq(_urls(acl_redis)[kind], sqlite_url)


def test_controller_console_login_limits_and_rq_over_tls(tls_redis, sqlite_url):
    _controller_and_console_and_rq(tls_redis, sqlite_url)


def test_the_worker_runs_a_job_with_an_acl_user(acl_redis, tmp_path, sqlite_url):
    from control.store.jobs import RQJobs
    from tests.web_fixtures import seeded_sqlite

    url = _urls(acl_redis)["acl user"]
    seeded_sqlite(sqlite_url)
    jobs = RQJobs(redis.Redis.from_url(url), "authtest-worker")
    jobs.enqueue("worker.wrapup.finalize_call", "no-such-call", job_id="authtest-worker-job")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_") and k != "REDIS_URL"}
    env.update({"HOTLINE_REDIS_URL": url, "HOTLINE_RQ_QUEUE": "authtest-worker", "HOTLINE_DATABASE_URL": sqlite_url,
                "HOTLINE_DEMO_MODE": "1", "HOTLINE_ARCHIVE_DIR": str(tmp_path / "archive")})
    done = subprocess.run([sys.executable, "-m", "control.cli", "worker", "--burst"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    job = jobs.queue.fetch_job("authtest-worker-job")
    assert job.get_status() in ("finished", "failed", "scheduled"), (job.get_status(), done.stderr[-2000:])
    assert "AuthenticationError" not in done.stderr and "NOAUTH" not in done.stderr

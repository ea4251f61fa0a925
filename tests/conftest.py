"""Shared fixtures: real Redis and PostgreSQL, each test isolated.

Redis: every test gets its own key prefix and cleans it up after.
PostgreSQL: one throw-away database per test session (HOTLINE_TEST_PG_URL points
at the server, default the local trust-auth postgres). SQLite is used only where
a test says so.
"""
from __future__ import annotations

import contextlib

# The controller and the simulator run on gevent. Their entry points (control/cli.py) patch the
# standard library before anything else loads; the test session does it here, once, for every test.
from gevent import monkey

monkey.patch_all()

import os  # noqa: E402
import socket  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402

PG_SERVER_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def redis_client(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.ConnectionError as exc:  # the suite needs a real Redis; .ci/run starts one
        pytest.fail(f"Redis at {redis_url} is not answering: {exc}")
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client) -> str:
    prefix = f"hltest-{uuid.uuid4().hex[:10]}"
    yield prefix
    keys = list(redis_client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        redis_client.delete(*keys)


@contextlib.contextmanager
def fresh_pg_database():
    """A new PostgreSQL database (its URL), dropped afterwards."""
    import psycopg2
    from psycopg2 import sql

    name = f"hotline_test_{uuid.uuid4().hex[:8]}"
    try:
        conn = psycopg2.connect(PG_SERVER_URL)
    except psycopg2.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {PG_SERVER_URL} is not answering: {exc}")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base = PG_SERVER_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.close()


@pytest.fixture(scope="session")
def pg_database_url():
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture
def tcp_port() -> int:
    return free_port()


@pytest.fixture
def sqlite_db(tmp_path) -> str:
    """URL of a fresh SQLite database holding every table of records/ (from the models)."""
    from records.db import make_engine
    from records.models import Base

    url = f"sqlite:///{tmp_path / 'records.db'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def pg_sessions(pg_database_url):
    """Sessions on this test session's PostgreSQL database, migrated to the newest schema."""
    from records.db import session_factory
    from records.migrate import ensure_schema

    ensure_schema(pg_database_url)
    return session_factory(pg_database_url)


@pytest.fixture
def sqlite_sessions(tmp_path):
    """Sessions on a fresh SQLite database, migrated to the newest schema."""
    from records.db import session_factory
    from records.migrate import ensure_schema

    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    ensure_schema(url)
    return session_factory(url)

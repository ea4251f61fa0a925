"""Engines and session factories from a database URL (one engine per URL per process)."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker


def normalize_url(url: str) -> str:
    """SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the project ships psycopg2."""
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg2://" + url[len(bare):]
    return url


def engine_options(url: str, pre_ping: bool = True) -> dict:
    if url.startswith("sqlite"):
        # The controller writes from gevent's thread pool; SQLite must allow that.
        return {"connect_args": {"check_same_thread": False, "timeout": 15}}
    # A dead database must fail fast so call records go to the buffer instead of stalling the caller's hangup.
    return {"pool_pre_ping": pre_ping, "connect_args": {"connect_timeout": 3}}


def make_engine(url: str, pre_ping: bool = True) -> Engine:
    url = normalize_url(url)
    engine = create_engine(url, **engine_options(url, pre_ping))
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    return engine


@lru_cache(maxsize=None)
def _cached_engine(url: str, pre_ping: bool = True) -> Engine:
    return make_engine(url, pre_ping)


def session_factory(url: str, pre_ping: bool = True) -> sessionmaker:
    """``with factory() as session: ...``; expire_on_commit off so returned rows stay readable.

    ``pre_ping`` False (the after-call worker): no ``SELECT 1`` round trip each time a session takes a
    connection. A connection the server dropped then fails the statement that uses it; SQLAlchemy
    discards the pool's connections and the job fails and is retried by RQ on a new one."""
    return sessionmaker(bind=_cached_engine(url, pre_ping), expire_on_commit=False)

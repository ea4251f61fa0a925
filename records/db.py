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


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # The controller writes from gevent's thread pool; SQLite must allow that.
        return {"connect_args": {"check_same_thread": False, "timeout": 15}}
    # A dead database must fail fast so call records go to the buffer instead of stalling the caller's hangup.
    return {"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}}


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    engine = create_engine(url, **engine_options(url))
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    return engine


@lru_cache(maxsize=None)
def _cached_engine(url: str) -> Engine:
    return make_engine(url)


def session_factory(url: str) -> sessionmaker:
    """``with factory() as session: ...``; expire_on_commit off so returned rows stay readable."""
    return sessionmaker(bind=_cached_engine(url), expire_on_commit=False)

"""The controller's Redis client, built from the URL alone so a password, an ACL user
(redis://USER:PASSWORD@HOST:PORT/DB) and TLS (rediss://..., e.g. ?ssl_ca_certs=/path/ca.pem) all
come from configuration (docs/security.md, Redis)."""
from __future__ import annotations

import redis


def controller_client(url: str, max_connections: int) -> redis.Redis:
    # Every call's greenlet talks to Redis. redis-py 8's default pool raises MaxConnectionsError past
    # 100 connections, which failed calls under load (docs/benchmarks.md, Calls); wait for one instead.
    # The control channel's SUBSCRIBE read waits as long as no one publishes: no socket read timeout
    # (redis-py 8.1's default of 5 s would drop it every 5 s); TCP keepalive finds a dead peer.
    pool = redis.BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=10,
                                                 health_check_interval=30, socket_timeout=None,
                                                 socket_connect_timeout=5, socket_keepalive=True)
    return redis.Redis(connection_pool=pool)

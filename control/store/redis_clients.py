"""Every Redis client of every process is built here: ``redis_client(config, ...)``.

The server is the URL's (``redis_url``): a password, an ACL user (redis://USER:PASSWORD@HOST:PORT/DB)
and TLS (rediss://..., e.g. ?ssl_ca_certs=/path/ca.pem) all come from configuration (docs/security.md,
Redis). With Redis Sentinel (``redis_sentinels``, a list of host:port, and ``redis_sentinel_service``,
the name the sentinels monitor) the URL's host and port are not used: the client asks the sentinels
for the current primary before each new connection, and a connection to a primary that was demoted
(a failover) is closed and made again to the new one, so no process needs a restart
(docs/scaling.md, Redis). The URL still gives the password, user, database number and TLS.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import redis
from redis.connection import BlockingConnectionPool, ConnectionPool, SSLConnection, parse_url
from redis.sentinel import Sentinel, SentinelConnectionPool

# kept from the URL for a Sentinel-managed client; host, port and the connection class are the sentinels'
_FROM_URL = ("username", "password", "db")


class SentinelBlockingConnectionPool(SentinelConnectionPool, BlockingConnectionPool):
    """Sentinel's pool that waits for a free connection (``timeout``) instead of raising past
    ``max_connections``, as the controller's plain pool does."""


@dataclass(frozen=True)
class RedisSettings:
    url: str
    sentinels: tuple[tuple[str, int], ...] = ()
    service: str = ""
    sentinel_password: str = ""

    @classmethod
    def of(cls, config: Any) -> "RedisSettings":
        """From a Config (or a plain URL string)."""
        if isinstance(config, str):
            return cls(url=config)
        return cls(url=str(config.redis_url), sentinels=parse_sentinels(getattr(config, "redis_sentinels", "")),
                   service=str(getattr(config, "redis_sentinel_service", "") or ""),
                   sentinel_password=str(getattr(config, "redis_sentinel_password", "") or ""))

    @property
    def uses_sentinel(self) -> bool:
        return bool(self.sentinels)


def parse_sentinels(value: Any) -> tuple[tuple[str, int], ...]:
    """``"h1:26379,h2:26379"`` or a list of ``"host:port"`` (or [host, port]) -> ((host, port), ...)."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for item in items:
        if isinstance(item, (list, tuple)):
            host, port = item
        else:
            text = str(item).strip()
            if not text:
                continue
            host, _, port = text.rpartition(":")
            if not host:
                raise ValueError(f"redis_sentinels: {text!r} is not host:port")
        out.append((str(host).strip("[]"), int(port)))
    return tuple(out)


def redis_client(config: Any, *, max_connections: int | None = None, blocking_timeout: float | None = None,
                 **options: Any) -> redis.Redis:
    """The one factory of Redis clients (controller, console, login limits, worker and RQ, publisher,
    subscriber, command-line tools). ``config``: a Config (or a URL). ``max_connections`` with
    ``blocking_timeout``: wait that long for a free connection instead of raising past the limit.
    ``options``: connection options (socket_timeout, socket_connect_timeout, health_check_interval...)."""
    settings = RedisSettings.of(config)
    if max_connections is not None:
        options["max_connections"] = max_connections
    if not settings.uses_sentinel:
        if blocking_timeout is not None:
            pool: ConnectionPool = BlockingConnectionPool.from_url(settings.url, timeout=blocking_timeout, **options)
            return redis.Redis(connection_pool=pool)
        return redis.Redis.from_url(settings.url, **options)
    if not settings.service:
        raise ValueError("redis_sentinels is set but redis_sentinel_service (the monitored name) is not")
    kwargs = _url_options(settings.url)
    kwargs.update(options)
    pool_class: type = SentinelConnectionPool
    if blocking_timeout is not None:
        kwargs["timeout"] = blocking_timeout
        pool_class = SentinelBlockingConnectionPool
    return sentinel(settings).master_for(settings.service, connection_pool_class=pool_class, **kwargs)


def sentinel(settings: RedisSettings) -> Sentinel:
    """The sentinels themselves (for SENTINEL commands, and the clients above)."""
    sentinel_kwargs: dict[str, Any] = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
    if settings.sentinel_password:
        sentinel_kwargs["password"] = settings.sentinel_password
    return Sentinel(list(settings.sentinels), sentinel_kwargs=sentinel_kwargs, min_other_sentinels=0)


def _url_options(url: str) -> dict[str, Any]:
    parsed: Mapping[str, Any] = parse_url(url)
    kwargs = {k: parsed[k] for k in _FROM_URL if parsed.get(k) is not None}
    if parsed.get("connection_class") is SSLConnection:   # rediss://: TLS to the primary too
        kwargs["ssl"] = True
    kwargs.update({k: v for k, v in parsed.items() if k.startswith("ssl_")})
    return kwargs


def controller_client(config: Any, max_connections: int) -> redis.Redis:
    """The controller's client. Every call's greenlet talks to Redis. redis-py's default pool raises
    MaxConnectionsError past its limit, which failed calls under load (docs/benchmarks.md, Calls); this
    one waits for a connection instead. The control channel's SUBSCRIBE read waits as long as no one
    publishes: no socket read timeout (redis-py 8.1's default of 5 s would drop it every 5 s); TCP
    keepalive finds a dead peer."""
    return redis_client(config, max_connections=max_connections, blocking_timeout=10, health_check_interval=30,
                        socket_timeout=None, socket_connect_timeout=5, socket_keepalive=True)

"""Clients that block in a Redis read set their own socket timeout, whatever redis-py's default is
(redis-py 8.1's 5 s default cut the console's 15 s XREAD and would cut the controller's SUBSCRIBE)."""
from __future__ import annotations

from tests.web_fixtures import build_app, sqlite_url  # noqa: F401


def test_the_controller_client_waits_on_its_control_channel_without_a_read_timeout():
    from control.store.redis_clients import controller_client

    options = controller_client("redis://127.0.0.1:6379/0", 10).connection_pool.connection_kwargs
    assert options["socket_timeout"] is None and options["socket_keepalive"] is True


def test_the_console_client_outlasts_the_live_stream_block(sqlite_url):
    from web.live import redis_client

    app = build_app(sqlite_url, redis_url="redis://127.0.0.1:6379/0", SSE_HEARTBEAT_S=15)
    with app.app_context():
        options = redis_client().connection_pool.connection_kwargs
    assert options["socket_timeout"] >= 15 + 10

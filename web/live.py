"""The console's view of live state: one Redis client per app, the publisher, RedisState.

Tests may put ``LIVE_STATE`` / ``PUBLISHER`` / ``REDIS_CLIENT`` into app.config to run without Redis.
"""
from __future__ import annotations

from flask import current_app

from control.store.keys import Keys

# Seconds a Redis read may take beyond the longest XREAD block before the socket times out.
STREAM_READ_MARGIN_S = 15.0


def config():
    return current_app.config["HOTLINE"]


def redis_client():
    client = current_app.config.get("REDIS_CLIENT")
    if client is None:
        client = current_app.extensions.get("hotline.redis")
    if client is None:
        from control.store.redis_clients import redis_client as make_client

        # Live streams block in XREAD for SSE_HEARTBEAT_S; the socket timeout must outlast that block
        # (redis-py 8.1 defaults to 5 s, which cut every stream every 5 s), so it is set here, explicitly.
        read_timeout = float(current_app.config["SSE_HEARTBEAT_S"]) + STREAM_READ_MARGIN_S
        client = make_client(config(), health_check_interval=30, socket_connect_timeout=3,   # Sentinel too
                             socket_timeout=read_timeout, socket_keepalive=True,
                             max_connections=20000)  # each open SSE stream holds one connection
        current_app.extensions["hotline.redis"] = client
    return client


def publisher():
    pub = current_app.config.get("PUBLISHER")
    if pub is None:
        from control.store.publisher import RedisPublisher

        pub = RedisPublisher(redis_client(), config().redis_prefix)
    return pub


def live_state():
    """LiveState or None while control/store/redis_state.py is unavailable."""
    state = current_app.config.get("LIVE_STATE")
    if state is not None:
        return state
    state = current_app.extensions.get("hotline.live_state")
    if state is None:
        try:
            from control.store.redis_state import RedisState
        except ImportError:
            return None
        state = RedisState(redis_client(), config().redis_prefix)
        current_app.extensions["hotline.live_state"] = state
    return state


def consoles():
    """ports.Consoles: marks this agent's console open while its stream runs."""
    found = current_app.config.get("CONSOLES") or current_app.extensions.get("hotline.consoles")
    if found is None:
        from control.store.consoles import RedisConsoles

        found = current_app.extensions["hotline.consoles"] = RedisConsoles(redis_client(), config().redis_prefix)
    return found


def stream_response(channel: str, transform, on_read=None):
    """The SSE response for one publisher channel: replay after Last-Event-ID, then follow live."""
    from flask import Response, request

    from web import sse
    from web.extensions import db

    last_id = sse.valid_id(request.headers.get("Last-Event-ID") or request.args.get("last_id"))
    stream_key = Keys(config().redis_prefix).stream(channel)   # where RedisPublisher appends (same prefix)
    heartbeat = float(current_app.config["SSE_HEARTBEAT_S"])
    db.session.close()   # a stream lives for hours; it must not hold a database connection
    body = sse.events(redis_client(), stream_key, last_id, heartbeat, transform=transform, on_read=on_read)
    return Response(body, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
